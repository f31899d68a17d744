package engine_test

import (
	"context"
	"testing"
	"time"

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
	h02done, h03started := make(chan struct{}), make(chan struct{})
	rec := &recorder{on: func(e event.Event) {
		switch {
		case e.Kind == event.HostEnd && e.Host == "h02":
			close(h02done)
		case e.Kind == event.HostStart && e.Host == "h03":
			close(h03started)
		}
	}}
	go func() {
		<-farm.Started()
		<-farm.Started()
		close(holds["h01"])
		<-gate.asked
		close(holds["h02"])
		<-h02done // h02's place in the window is free now
		select {
		case <-h03started:
			t.Error("h03 started while h01's failure waited for a retry decision")
		case <-time.After(200 * time.Millisecond):
		}
		close(gate.release)
	}()
	s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec, Gate: gate, OfferRetry: true})
	want := map[string]event.Result{"h01": event.Failed, "h02": event.OK, "h03": event.Aborted}
	if got := results(s); !mapsEqual(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
}
