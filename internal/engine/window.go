package engine

import (
	"context"
	"sync"

	"github.com/drover-sh/drover/internal/plan"
)

// runWindow runs hosts in order with at most the stage's parallel hosts in
// flight: a new host starts as soon as one finishes. Once the run is
// stopped (abort, quit, interrupt) no new host starts; hosts in flight
// finish their pipeline. runWindow returns when every started host is done.
//
// The window is its own and not an errgroup: a host's failure is data and
// cancels no sibling, waiting for a slot gives way to ctx (errgroup's
// SetLimit blocks Go without it), and before each start the gates and the
// max_fail budget decide whether the next host starts at all.
func (s *stageRun) runWindow(ctx context.Context, k, n int, hosts []string) {
	slots := make(chan struct{}, max(1, s.st.Parallel))
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, h := range hosts {
		if !s.takeSlot(ctx, slots) {
			return
		}
		if !s.hostGate(ctx, k, n, h) {
			<-slots
			continue
		}
		if !s.admit(ctx, h) {
			<-slots
			return
		}
		start := s.startHost(h)
		wg.Go(func() {
			defer func() { <-slots }()
			defer s.recoverHost(h)
			growStack()
			s.runHost(ctx, h, start)
		})
	}
}

// takeSlot waits for a free place in the window and reports whether a new
// host may start in it.
func (s *stageRun) takeSlot(ctx context.Context, slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	if !s.admit(ctx, "") {
		<-slots
		return false
	}
	return true
}

// hostGate asks before a host when the stage's gate is "host" and reports
// whether the host starts. A skipped host is recorded as such.
func (s *stageRun) hostGate(ctx context.Context, k, n int, host string) bool {
	if s.st.Gate != plan.GateHost {
		return true
	}
	a := s.ask(ctx, Question{Kind: AskHost, Stage: s.st.Name, Batch: k, Batches: n, Host: host,
		Text: "start " + s.st.Name + " on " + host})
	switch a {
	case Yes, All:
		return !s.r.stopped(ctx)
	case No:
		s.skipHosts([]string{host}, "skipped at its gate")
	}
	return false
}
