package engine_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/engine/enginetest"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// flakyScript fails cmd the first failures times (per host), then succeeds.
func flakyScript(cmd string, failures int) enginetest.Script {
	var mu sync.Mutex
	seen := map[string]int{}
	return func(host, c string) enginetest.Reply {
		if c != cmd {
			return enginetest.Reply{}
		}
		mu.Lock()
		defer mu.Unlock()
		seen[host]++
		if seen[host] <= failures {
			return enginetest.Reply{Stderr: "not yet\n", Exit: 1}
		}
		return enginetest.Reply{Stdout: "done\n"}
	}
}

func TestStepOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		script     enginetest.Script
		step       plan.Step
		opts       engine.Options
		wantResult event.Result // of the host
		wantStep   event.Result // of the last step.end
		wantCmds   []string
		wantNote   string
	}{
		{"ok", exitScript(nil), run("x", "x"), engine.Options{}, event.OK, event.OK, []string{"x"}, ""},
		{"exit 1 fails", exitScript(map[string]map[string]int{"h01": {"x": 1}}), run("x", "x"),
			engine.Options{}, event.Failed, event.Failed, []string{"x"}, `exit 1 in "x"`},
		{"ok_exit accepts 3", exitScript(map[string]map[string]int{"h01": {"x": 3}}),
			plan.Step{Name: "x", Kind: plan.KindRun, Arg: "x", OkExit: []int{0, 3}},
			engine.Options{}, event.OK, event.OK, []string{"x"}, ""},
		{"ok_exit without 0", exitScript(nil),
			plan.Step{Name: "x", Kind: plan.KindRun, Arg: "x", OkExit: []int{3}},
			engine.Options{}, event.Failed, event.Failed, []string{"x"}, `exit 0 in "x"`},
		{"retries until ok", flakyScript("x", 2),
			plan.Step{Name: "x", Kind: plan.KindRun, Arg: "x", Retries: 2, RetryDelay: time.Millisecond},
			engine.Options{}, event.OK, event.OK, []string{"x", "x", "x"}, ""},
		{"retries used up", flakyScript("x", 2),
			plan.Step{Name: "x", Kind: plan.KindRun, Arg: "x", Retries: 1},
			engine.Options{}, event.Failed, event.Failed, []string{"x", "x"}, `exit 1 in "x"`},
		{"operator retries", flakyScript("x", 1), run("x", "x"),
			engine.Options{OfferRetry: true, Gate: &scriptedGate{answers: []engine.Answer{engine.Retry}}},
			event.OK, event.OK, []string{"x", "x"}, ""},
		{"operator accepts the failure", flakyScript("x", 1), run("x", "x"),
			engine.Options{OfferRetry: true, Gate: &scriptedGate{answers: []engine.Answer{engine.No}}},
			event.Failed, event.Failed, []string{"x"}, `exit 1 in "x"`},
		{"skip_if exits 0", exitScript(nil),
			plan.Step{Name: "x", Kind: plan.KindRun, Arg: "x", SkipIf: "test -d y"},
			engine.Options{}, event.OK, event.Skipped, []string{"test -d y"}, ""},
		{"skip_if exits 1", exitScript(map[string]map[string]int{"h01": {"test -d y": 1}}),
			plan.Step{Name: "x", Kind: plan.KindRun, Arg: "x", SkipIf: "test -d y"},
			engine.Options{}, event.OK, event.OK, []string{"test -d y", "x"}, ""},
		{"timeout", func(string, string) enginetest.Reply { return enginetest.Reply{Hold: make(chan struct{})} },
			plan.Step{Name: "x", Kind: plan.KindRun, Arg: "x", Timeout: 20 * time.Millisecond},
			engine.Options{}, event.Failed, event.Failed, []string{"x"}, `timed out after 20ms in "x"`},
		{"kind not supported", exitScript(nil), plan.Step{Name: "w", Kind: "teleport"},
			engine.Options{}, event.Failed, event.Failed, nil, `step kind "teleport": not supported yet in "w"`},
		{"pause", exitScript(nil), plan.Step{Name: "p", Kind: plan.KindPause, Pause: time.Millisecond},
			engine.Options{}, event.OK, event.OK, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm := enginetest.NewFarm(tt.script)
			p := newPlan(1, stageSpec{Stage: plan.Stage{Name: "s"}, steps: []plan.Step{tt.step}})
			rec := &recorder{}
			tt.opts.Sink = rec
			s := mustRun(t, context.Background(), p, farm, tt.opts)
			if h := s.Hosts[0]; h.Result != tt.wantResult || h.Note != tt.wantNote {
				t.Errorf("host = %s %q, want %s %q", h.Result, h.Note, tt.wantResult, tt.wantNote)
			}
			ends := rec.kinds(event.StepEnd)
			if got := ends[len(ends)-1].Result; got != tt.wantStep {
				t.Errorf("step.end result = %s, want %s", got, tt.wantStep)
			}
			if got := farm.HostCommands("h01"); !slices.Equal(got, tt.wantCmds) {
				t.Errorf("commands = %q, want %q", got, tt.wantCmds)
			}
		})
	}
}

func TestStepEventsOrder(t *testing.T) {
	farm := enginetest.NewFarm(func(host, cmd string) enginetest.Reply {
		return enginetest.Reply{Stdout: "a\nb\r\nno newline", Exit: 3}
	})
	p := newPlan(1, stageSpec{Stage: plan.Stage{Name: "s"},
		steps: []plan.Step{{Name: "x", Kind: plan.KindRun, Arg: "x", OkExit: []int{3}}}})
	rec := &recorder{}
	mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec, RunID: "r1"})
	var got []string
	for _, e := range rec.all() {
		if e.RunID != "r1" {
			t.Errorf("%s event without run id", e.Kind)
		}
		s := string(e.Kind)
		if e.Line != "" {
			s += " " + e.Line
		}
		if e.Exit != nil {
			s += " exit " + strconv.Itoa(*e.Exit)
		}
		got = append(got, s)
	}
	want := []string{"stage.start", "batch.start", "host.start", "step.start",
		"step.output a", "step.output b", "step.output no newline", "step.end exit 3",
		"host.end", "batch.end", "stage.end"}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
