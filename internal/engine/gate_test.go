package engine_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/engine/enginetest"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

func TestGates(t *testing.T) {
	y, n, a, q := engine.Yes, engine.No, engine.All, engine.Quit
	batches := []plan.BatchSize{{Count: 1}, {Count: 2}}
	confirm := plan.Step{Name: "looks fine?", Kind: plan.KindConfirm, Arg: "looks fine?"}
	tests := []struct {
		name      string
		gate      plan.Gate
		steps     []plan.Step
		answers   []engine.Answer
		wantAsked []engine.QuestionKind
		wantRan   []string // hosts that ran the last step
		wantQuit  bool
	}{
		{"batch yes", plan.GateBatch, nil, []engine.Answer{y, y, y},
			[]engine.QuestionKind{"batch", "batch", "batch"}, hostNames(5), false},
		{"batch no skips one batch", plan.GateBatch, nil, []engine.Answer{y, n, y},
			[]engine.QuestionKind{"batch", "batch", "batch"}, []string{"h01", "h04", "h05"}, false},
		{"batch all answers the rest", plan.GateBatch, nil, []engine.Answer{a},
			[]engine.QuestionKind{"batch"}, hostNames(5), false},
		{"batch quit", plan.GateBatch, nil, []engine.Answer{y, q},
			[]engine.QuestionKind{"batch", "batch"}, []string{"h01"}, true},
		{"stage no skips the stage", plan.GateStage, nil, []engine.Answer{n},
			[]engine.QuestionKind{"stage"}, nil, false},
		{"host no skips a host", plan.GateHost, nil, []engine.Answer{y, n, y, y, y},
			[]engine.QuestionKind{"host", "host", "host", "host", "host"}, []string{"h01", "h03", "h04", "h05"}, false},
		{"confirm no skips the rest of the host", plan.GateNone, []plan.Step{confirm}, []engine.Answer{y, n},
			[]engine.QuestionKind{"confirm", "confirm", "confirm", "confirm", "confirm"}, []string{"h01", "h03", "h04", "h05"}, false},
		{"confirm quit stops the run", plan.GateNone, []plan.Step{confirm}, []engine.Answer{q},
			[]engine.QuestionKind{"confirm"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm := enginetest.NewFarm(exitScript(nil))
			steps := append(slices.Clone(tt.steps), run("last", "last"))
			p := newPlan(5, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 1, Gate: tt.gate, Batches: batches},
				steps: steps})
			gate := &scriptedGate{answers: tt.answers}
			rec := &recorder{}
			s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec, Gate: gate})
			if got := gate.kinds(); !slices.Equal(got, tt.wantAsked) {
				t.Errorf("asked %v, want %v", got, tt.wantAsked)
			}
			var ran []string
			for _, h := range hostNames(5) {
				if slices.Contains(farm.HostCommands(h), "last") {
					ran = append(ran, h)
				}
			}
			if !slices.Equal(ran, tt.wantRan) {
				t.Errorf("ran on %v, want %v", ran, tt.wantRan)
			}
			if s.Quit != tt.wantQuit || s.Aborted != tt.wantQuit {
				t.Errorf("quit = %v aborted = %v, want %v", s.Quit, s.Aborted, tt.wantQuit)
			}
			if asks, answers := len(rec.kinds(event.GateAsk)), len(rec.kinds(event.GateAnswer)); asks != len(tt.wantAsked) || answers != asks {
				t.Errorf("%d gate.ask and %d gate.answer events, want %d each", asks, answers, len(tt.wantAsked))
			}
		})
	}
}

func TestConfirmShowsTheLastOutput(t *testing.T) {
	farm := enginetest.NewFarm(func(host, cmd string) enginetest.Reply {
		return enginetest.Reply{Stdout: "one\ntwo\n", Stderr: "secret-ish\n"}
	})
	p := newPlan(1, stageSpec{Stage: plan.Stage{Name: "s"}, steps: []plan.Step{
		run("show", "show"), {Name: "ok?", Kind: plan.KindConfirm, Arg: "ok?"}}})
	gate := &scriptedGate{}
	redact := func(s string) string {
		if s == "secret-ish" {
			return "***"
		}
		return s
	}
	mustRun(t, context.Background(), p, farm, engine.Options{Gate: gate, Redact: redact})
	q := gate.asked[0]
	if got := sorted(q.Tail); !slices.Equal(got, []string{"***", "one", "two"}) {
		t.Errorf("tail = %v, want the step's three lines, redacted", q.Tail)
	}
	if q.Host != "h01" || q.Text != "ok?" {
		t.Errorf("question = %+v", q)
	}
}

// TestConfirmAfterARetry: a confirm question after a step that failed and
// then passed on its retry shows what the retry printed, not the failure.
func TestConfirmAfterARetry(t *testing.T) {
	var tries atomic.Int32
	farm := enginetest.NewFarm(func(host, cmd string) enginetest.Reply {
		if cmd != "flaky" {
			return enginetest.Reply{Stdout: "before\n"}
		}
		if tries.Add(1) == 1 {
			return enginetest.Reply{Stdout: "first try fails\n", Exit: 1}
		}
		return enginetest.Reply{Stdout: "second try ok\n"}
	})
	flaky := run("flaky", "flaky")
	flaky.Retries = 1
	p := newPlan(1, stageSpec{Stage: plan.Stage{Name: "s"}, steps: []plan.Step{
		run("before", "before"), flaky, {Name: "ok?", Kind: plan.KindConfirm, Arg: "ok?"}}})
	gate := &scriptedGate{}
	mustRun(t, context.Background(), p, farm, engine.Options{Gate: gate})
	if got := gate.asked[0].Tail; !slices.Equal(got, []string{"before", "second try ok"}) {
		t.Errorf("tail = %q, want the earlier step's line and the retry's", got)
	}
}

func TestRunWithoutGateFailsWhenThePlanAsks(t *testing.T) {
	p := newPlan(1, stageSpec{Stage: plan.Stage{Name: "s", Gate: plan.GateBatch}, steps: []plan.Step{run("x", "x")}})
	_, err := engine.Run(context.Background(), p, enginetest.NewFarm(exitScript(nil)).Conns("h01"), engine.Options{})
	if !errors.Is(err, engine.ErrNoGate) {
		t.Errorf("Run without gate = %v, want ErrNoGate", err)
	}
}

// countingGate records how many questions it was asked at the same time.
// The first question stays open until every host has reached its confirm
// step (reached is closed), so a second question asked beside it is seen.
type countingGate struct {
	inside, most atomic.Int32
	first        atomic.Bool
	reached      chan struct{}
}

func (g *countingGate) Ask(ctx context.Context, q engine.Question) (engine.Answer, error) {
	n := g.inside.Add(1)
	defer g.inside.Add(-1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	if g.first.CompareAndSwap(false, true) {
		<-g.reached
	}
	return engine.Yes, nil
}

func TestQuestionsAreSerialised(t *testing.T) {
	const hosts = 8
	farm := enginetest.NewFarm(exitScript(nil))
	confirm := plan.Step{Name: "ok?", Kind: plan.KindConfirm, Arg: "ok?"}
	p := newPlan(hosts, stageSpec{Stage: plan.Stage{Name: "s", Parallel: hosts}, steps: []plan.Step{confirm, confirm, confirm}})
	gate := &countingGate{reached: make(chan struct{})}
	var started atomic.Int32
	rec := &recorder{on: func(e event.Event) {
		if e.Kind == event.StepStart && e.StepIndex == 1 && started.Add(1) == hosts {
			close(gate.reached)
		}
	}}
	mustRun(t, context.Background(), p, farm, engine.Options{Gate: gate, Sink: rec})
	if got := gate.most.Load(); got != 1 {
		t.Errorf("%d questions asked at once, want 1", got)
	}
}

func TestQuitUndoesStartedHosts(t *testing.T) {
	farm := enginetest.NewFarm(exitScript(nil))
	p := newPlan(3, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 1, Gate: plan.GateHost, UndoOnAbort: true},
		steps: []plan.Step{run("do", "do")}, undo: []plan.Step{run("undo", "undo")}})
	gate := &scriptedGate{answers: []engine.Answer{engine.Yes, engine.Quit, engine.Yes}}
	rec := &recorder{}
	s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec, Gate: gate})
	if !s.Quit || !s.Aborted {
		t.Errorf("quit = %v aborted = %v, want both", s.Quit, s.Aborted)
	}
	if got := gate.kinds(); !slices.Equal(got, []engine.QuestionKind{"host", "host", "undo"}) {
		t.Errorf("asked %v, want host host undo", got)
	}
	if got := farm.HostCommands("h01"); !slices.Equal(got, []string{"do", "undo"}) {
		t.Errorf("h01 ran %v, want do undo", got)
	}
	if got := len(farm.HostCommands("h02")) + len(farm.HostCommands("h03")); got != 0 {
		t.Errorf("h02 and h03 ran %d commands, want none", got)
	}
	want := map[string]event.Result{"h01": event.OK, "h02": event.Aborted, "h03": event.Aborted}
	if got := results(s); !mapsEqual(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
	if note := s.Hosts[0].Note; note != "undone in s" {
		t.Errorf("h01 note = %q, want it undone", note)
	}
	for _, e := range rec.kinds(event.StepStart) {
		if e.Step == "undo" && !e.Undo {
			t.Errorf("undo step.start without Undo: %+v", e)
		}
	}
}
