package engine_test

import (
	"context"
	"slices"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// heldRetryGate answers a retry question only when release is closed.
type heldRetryGate struct {
	asked   chan struct{}
	release chan struct{}
	answer  engine.Answer
}

func (g *heldRetryGate) Ask(ctx context.Context, q engine.Question) (engine.Answer, error) {
	if q.Kind != engine.AskRetry {
		return engine.Yes, nil
	}
	close(g.asked)
	<-g.release
	return g.answer, nil
}

// TestRetryQuestionHoldsTheWindow: while the operator decides whether to
// retry a failed host, that failure counts against max_fail, so no new host
// starts past it.
func TestRetryQuestionHoldsTheWindow(t *testing.T) {
	farm, holds := heldFarmWithExit(hostNames(3), map[string]int{"h01": 1})
	p := newPlan(3, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 2}, steps: []plan.Step{run("x", "x")}})
	gate := &heldRetryGate{asked: make(chan struct{}), release: make(chan struct{}), answer: engine.No}
	h02done := make(chan struct{})
	rec := &recorder{on: func(e event.Event) {
		if e.Kind == event.HostEnd && e.Host == "h02" {
			close(h02done)
		}
	}}
	go func() {
		<-farm.Started()
		<-farm.Started()
		close(holds["h01"])
		<-gate.asked
		close(holds["h02"])
		// h02's place in the window is free while the question is open:
		// the answer No makes h01's failure final and the budget spent, in
		// one step, so h03 must not start whatever runs first.
		<-h02done
		close(gate.release)
	}()
	s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec, Gate: gate, OfferRetry: true})
	want := map[string]event.Result{"h01": event.Failed, "h02": event.OK, "h03": event.Aborted}
	if got := results(s); !mapsEqual(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
	if got := rec.ran("s"); slices.Contains(got, "h03") {
		t.Errorf("hosts started = %v: h03 started past max_fail", got)
	}
}
