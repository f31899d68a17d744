package engine

import (
	"context"
	"slices"
	"sync"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// stageRun is one stage of a run: its hosts, its failures, the hosts that
// started it (for undo) and whether the operator said "all".
type stageRun struct {
	r     *runner
	st    plan.Stage
	hosts []string // hosts that run the stage in this run, plan order

	mu       sync.Mutex
	failed   int
	deciding int           // failed hosts whose operator is deciding whether to retry
	decided  chan struct{} // closed (and replaced) when a decision is made
	all      bool
	started  []string
	resumed  []string            // hosts that completed the stage in an earlier run
	once     map[int]*onceResult // local steps with once = true, by step index
}

func newStageRun(r *runner, i int) *stageRun {
	return &stageRun{r: r, st: r.plan.Stages[i], once: map[int]*onceResult{}, decided: make(chan struct{})}
}

// run runs the stage on every host still alive: resumed hosts are
// recorded as done, the others go batch by batch.
func (s *stageRun) run(ctx context.Context) {
	alive := s.r.alive()
	s.hosts = s.skipResumed(alive)
	s.r.em.emit(event.Event{Kind: event.StageStart, Stage: s.st.Name, Hosts: alive})
	if len(s.hosts) > 0 && s.stageGate(ctx) {
		s.runBatches(ctx)
		s.endUnstarted(ctx)
	}
	s.r.em.emit(event.Event{Kind: event.StageEnd, Stage: s.st.Name, Result: s.result(ctx)})
}

// skipResumed records hosts that completed the stage in an earlier run and
// returns the others.
func (s *stageRun) skipResumed(hosts []string) []string {
	var todo []string
	for _, h := range hosts {
		if !s.r.doneBefore(h, s.st.Name) {
			todo = append(todo, h)
			continue
		}
		s.mu.Lock()
		s.resumed = append(s.resumed, h)
		s.mu.Unlock()
		s.r.record(h, s.st.Name, event.OK, "", 0)
		s.r.em.emit(event.Event{Kind: event.HostEnd, Stage: s.st.Name, Host: h, Result: event.OK,
			Text: "done in an earlier run"})
	}
	return todo
}

// stageGate asks before the stage when its gate is "stage" and reports
// whether the stage goes on. No skips the stage on every host; those hosts
// stay in the run for later stages.
func (s *stageRun) stageGate(ctx context.Context) bool {
	if s.st.Gate != plan.GateStage {
		return true
	}
	a := s.ask(ctx, Question{Kind: AskStage, Stage: s.st.Name, Hosts: s.hosts,
		Text: "start stage " + s.st.Name})
	switch a {
	case Yes, All:
		return true
	case No:
		for _, h := range s.hosts {
			s.r.skipStage(h, s.st.Name)
			s.r.em.emit(event.Event{Kind: event.HostEnd, Stage: s.st.Name, Host: h, Result: event.Skipped,
				Text: "stage skipped at its gate"})
		}
	}
	return false
}

// runBatches runs the stage's batches in order; a batch starts only after
// the previous one is over.
func (s *stageRun) runBatches(ctx context.Context) {
	batches := plan.Batches(s.st.Batches, len(s.hosts))
	for k, idx := range batches {
		if s.r.stopped(ctx) {
			return
		}
		names := make([]string, len(idx))
		for i, j := range idx {
			names[i] = s.hosts[j]
		}
		s.runBatch(ctx, k+1, len(batches), names)
	}
}

// endUnstarted records the hosts that never started the stage because the
// run stopped (abort, quit or interrupt), so each host of the stage gets a
// host.end.
func (s *stageRun) endUnstarted(ctx context.Context) {
	res := event.Aborted
	if ctx.Err() != nil {
		res = event.Interrupted
	}
	started := s.startedHosts()
	for _, h := range s.hosts {
		if slices.Contains(started, h) || s.r.lastStage(h) == s.st.Name {
			continue
		}
		s.r.record(h, s.st.Name, res, "not started: the run stopped", 0)
		s.r.em.emit(event.Event{Kind: event.HostEnd, Stage: s.st.Name, Host: h, Result: res, Text: "not started"})
	}
}

// ask puts q to the gate unless the operator answered "all" in this stage.
// Quit aborts the run (unless the run was interrupted meanwhile).
func (s *stageRun) ask(ctx context.Context, q Question) Answer {
	s.mu.Lock()
	all := s.all
	s.mu.Unlock()
	if all && q.Kind != AskRetry && q.Kind != AskUndo {
		return All
	}
	a := s.r.gates.ask(ctx, q)
	switch {
	case ctx.Err() != nil:
		return Quit
	case a == All:
		s.mu.Lock()
		s.all = true
		s.mu.Unlock()
	case a == Quit:
		s.r.abort(true)
	}
	return a
}

// startedHosts returns the hosts that started the stage: those that
// completed it in an earlier run (a resume's abort undoes them too), then
// the others in plan order.
func (s *stageRun) startedHosts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string(nil), s.resumed...)
	for _, h := range s.hosts {
		if slices.Contains(s.started, h) {
			out = append(out, h)
		}
	}
	return out
}

// result is the stage's result for stage.end.
func (s *stageRun) result(ctx context.Context) event.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		return event.Interrupted
	case s.r.isAborted():
		return event.Aborted
	case s.failed > 0:
		return event.Failed
	}
	return event.OK
}

// skipStage records that host skipped stage by the operator's choice at the
// stage gate; the host stays in the run.
func (r *runner) skipStage(host, stage string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.hosts[host]
	h.stage, h.result, h.note = stage, event.Skipped, "stage skipped at its gate"
	h.stages++
}
