package engine

import "context"

// The failure budget of a stage: max_fail. A failure counts once it is
// final (retries used up, no retry asked for); while the operator decides
// whether to retry a failed host, that failure counts as if it were final
// for the window's question whether a new host may start. The window asks
// that question and marks the host started in one critical section with the
// counting, so no host starts after the failure that spends the budget,
// whatever the scheduling.

// fail counts a final failure of a host and aborts the run once the stage's
// failures exceed max_fail.
func (s *stageRun) fail() {
	s.mu.Lock()
	s.failed++
	over := !s.st.MaxFail.Allowed(s.failed, len(s.hosts))
	s.mu.Unlock()
	if over {
		s.r.abort(false)
	}
}

// decide counts a failed host while the operator decides whether to retry
// it. settle ends that: with final the failure stands and is counted in the
// same step, so the window never sees the budget free in between.
func (s *stageRun) decide() (settle func(final bool)) {
	s.mu.Lock()
	s.deciding++
	s.mu.Unlock()
	return func(final bool) {
		s.mu.Lock()
		s.deciding--
		if final {
			s.failed++
		}
		over := !s.st.MaxFail.Allowed(s.failed, len(s.hosts))
		close(s.decided)
		s.decided = make(chan struct{})
		s.mu.Unlock()
		if over {
			s.r.abort(false)
		}
	}
}

// admission is the window's question under s.mu: may a new host start
// (ok), or must it wait for a pending retry decision (wait is not nil)?
// Neither means no host starts any more.
func (s *stageRun) admissionLocked(ctx context.Context) (ok bool, wait <-chan struct{}) {
	n := len(s.hosts)
	if s.r.stopped(ctx) || !s.st.MaxFail.Allowed(s.failed, n) {
		return false, nil
	}
	if s.deciding > 0 && !s.st.MaxFail.Allowed(s.failed+s.deciding, n) {
		return false, s.decided
	}
	return true, nil
}

// admit waits while a pending retry decision holds a new host back, and
// reports whether host may start; if so it is marked started in the same
// critical section as the check. With host "" nothing is marked.
func (s *stageRun) admit(ctx context.Context, host string) bool {
	for {
		s.mu.Lock()
		ok, wait := s.admissionLocked(ctx)
		if ok && host != "" {
			s.started = append(s.started, host)
		}
		s.mu.Unlock()
		if wait == nil {
			return ok
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return false
		}
	}
}
