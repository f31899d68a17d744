package engine_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/engine/enginetest"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// panicSink panics at the first event of kind on host.
type panicSink struct {
	kind event.Kind
	host string
}

func (p panicSink) Emit(e event.Event) error {
	if e.Kind == p.kind && e.Host == p.host {
		panic("sink broke")
	}
	return nil
}

// TestPanicEndsTheRunWithAnError: a panic in a host's goroutine (a local
// command runner, a sink, a gate) does not kill the process: Run returns an
// error wrapping ErrPanic, and unless the sink itself broke, it sees every
// host's end.
func TestPanicEndsTheRunWithAnError(t *testing.T) {
	local := plan.Step{Name: "l", Kind: plan.KindLocal, Arg: "x"}
	confirm := plan.Step{Name: "c", Kind: plan.KindConfirm, Arg: "ok?"}
	tests := []struct {
		name  string
		steps []plan.Step
		opts  engine.Options
		ends  int // host.end events the other sinks see
	}{
		{"local runner", []plan.Step{run("a", "a"), local}, engine.Options{
			Local: func(context.Context, string, []string, io.Writer) error { panic("local broke") }}, 3},
		{"sink", []plan.Step{run("a", "a")}, engine.Options{Sink: panicSink{event.StepStart, "h02"}}, 0}, // the sink is down
		{"gate", []plan.Step{confirm}, engine.Options{Gate: panicGate{}}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm := enginetest.NewFarm(exitScript(nil))
			p := newPlan(3, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 3}, steps: tt.steps})
			rec := &recorder{}
			opts := tt.opts
			opts.Sink = event.Multi{rec, sinkOr(opts.Sink)}
			if opts.Gate == nil {
				opts.Gate = engine.AlwaysYes
			}
			_, err := engine.Run(context.Background(), p, farm.Conns(hostNames(3)...), opts)
			if !errors.Is(err, engine.ErrPanic) {
				t.Fatalf("Run = %v, want ErrPanic", err)
			}
			if got := len(rec.kinds(event.HostEnd)); got < tt.ends {
				t.Errorf("%d host.end events, want %d", got, tt.ends)
			}
		})
	}
}

type panicGate struct{}

func (panicGate) Ask(context.Context, engine.Question) (engine.Answer, error) { panic("gate broke") }

func sinkOr(s event.Sink) event.Sink {
	if s == nil {
		return event.Discard
	}
	return s
}
