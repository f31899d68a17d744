package engine_test

import (
	"context"
	"slices"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/engine/enginetest"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

func TestMaxFailZeroLetsInFlightHostsFinish(t *testing.T) {
	farm, holds := heldFarmWithExit(hostNames(4), map[string]int{"h01": 1})
	p := newPlan(4, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 2},
		steps: []plan.Step{run("x", "x"), run("y", "y")}})
	rec := &recorder{}
	rec.on = func(e event.Event) {
		// h02 is still running its pipeline when h01 fails.
		if e.Kind == event.HostEnd && e.Host == "h01" {
			close(holds["h02"])
		}
	}
	go func() {
		<-farm.Started() // h01 and h02, in either order
		<-farm.Started()
		close(holds["h01"])
	}()
	s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec})
	if !s.Aborted {
		t.Error("run not aborted")
	}
	if got := rec.ran("s"); !slices.Equal(sorted(got), []string{"h01", "h02"}) {
		t.Errorf("hosts started = %v, want h01 h02", got)
	}
	if got := farm.HostCommands("h02"); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("h02 ran %v, want its whole pipeline", got)
	}
	want := map[string]event.Result{"h01": event.Failed, "h02": event.OK, "h03": event.Aborted, "h04": event.Aborted}
	if got := results(s); !mapsEqual(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
}

// heldFarmWithExit holds each host's first command until its channel is
// closed; exits gives that command's exit status.
func heldFarmWithExit(hosts []string, exits map[string]int) (*enginetest.Farm, map[string]chan struct{}) {
	holds := map[string]chan struct{}{}
	for _, h := range hosts {
		holds[h] = make(chan struct{})
	}
	farm := enginetest.NewFarm(func(host, cmd string) enginetest.Reply {
		if cmd != "x" {
			return enginetest.Reply{}
		}
		return enginetest.Reply{Hold: holds[host], Exit: exits[host]}
	})
	for _, h := range hosts[2:] {
		close(holds[h])
	}
	return farm, holds
}

func TestMaxFailThreshold(t *testing.T) {
	tests := []struct {
		name        string
		maxFail     plan.Threshold
		failing     int // the first hosts fail
		wantAborted bool
		wantStarted int
	}{
		{"10% of 40 tolerates 4", plan.Threshold{Percent: 10, IsPercent: true}, 4, false, 40},
		{"10% of 40 stops at the 5th", plan.Threshold{Percent: 10, IsPercent: true}, 5, true, 5},
		{"count 2 tolerates 2", plan.Threshold{Count: 2}, 2, false, 40},
		{"zero stops at the first", plan.Threshold{}, 1, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail := map[string]map[string]int{}
			for _, h := range hostNames(tt.failing) {
				fail[h] = map[string]int{"x": 1}
			}
			farm := enginetest.NewFarm(exitScript(fail))
			p := newPlan(40, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 1, MaxFail: tt.maxFail},
				steps: []plan.Step{run("x", "x")}})
			rec := &recorder{}
			s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec})
			if s.Aborted != tt.wantAborted {
				t.Errorf("aborted = %v, want %v", s.Aborted, tt.wantAborted)
			}
			if got := len(rec.ran("s")); got != tt.wantStarted {
				t.Errorf("%d hosts started, want %d", got, tt.wantStarted)
			}
		})
	}
}

func TestFailedHostsSkipLaterStages(t *testing.T) {
	farm := enginetest.NewFarm(exitScript(map[string]map[string]int{"h02": {"a": 2}}))
	p := newPlan(3,
		stageSpec{Stage: plan.Stage{Name: "one", MaxFail: plan.Threshold{Count: 1}}, steps: []plan.Step{run("a", "a")}},
		stageSpec{Stage: plan.Stage{Name: "two"}, steps: []plan.Step{run("b", "b")}})
	rec := &recorder{}
	s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec})
	if got := rec.ran("two"); !slices.Equal(got, []string{"h01", "h03"}) {
		t.Errorf("stage two ran on %v, want h01 h03", got)
	}
	h := s.Hosts[1]
	if h.Result != event.Failed || h.Stage != "one" || h.Note != `exit 2 in "a"` {
		t.Errorf("h02 = %+v, want failed in one with exit 2 note", h)
	}
	if s.Aborted || !s.Failed() {
		t.Errorf("summary aborted=%v failed=%v, want not aborted, failed", s.Aborted, s.Failed())
	}
}

func TestUndoRunsOnHostsThatStartedTheStage(t *testing.T) {
	tests := []struct {
		name     string
		answers  []engine.Answer
		wantUndo []string
	}{
		{"yes", nil, []string{"h01", "h02", "h03"}},
		{"no", []engine.Answer{engine.No, engine.No}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm := enginetest.NewFarm(exitScript(map[string]map[string]int{"h03": {"do": 1}}))
			p := newPlan(5,
				stageSpec{Stage: plan.Stage{Name: "prep", UndoOnAbort: true}, steps: []plan.Step{run("p", "p")},
					undo: []plan.Step{run("unprep", "unprep")}},
				stageSpec{Stage: plan.Stage{Name: "cut", Parallel: 1, UndoOnAbort: true},
					steps: []plan.Step{run("do", "do")}, undo: []plan.Step{run("undo", "undo")}})
			gate := &scriptedGate{answers: tt.answers}
			rec := &recorder{}
			s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec, Gate: gate})
			if !s.Aborted {
				t.Fatal("run not aborted")
			}
			var undone []string
			for _, h := range hostNames(5) {
				if slices.Contains(farm.HostCommands(h), "undo") {
					undone = append(undone, h)
				}
				if slices.Contains(farm.HostCommands(h), "unprep") != (tt.answers == nil) {
					t.Errorf("%s: prep undo ran = %v", h, !(tt.answers == nil))
				}
			}
			if !slices.Equal(undone, tt.wantUndo) {
				t.Errorf("undo ran on %v, want %v", undone, tt.wantUndo)
			}
		})
	}
}

func TestConnectionLostFailsTheHost(t *testing.T) {
	hold := make(chan struct{})
	farm := enginetest.NewFarm(func(host, cmd string) enginetest.Reply {
		if host == "h01" {
			return enginetest.Reply{Hold: hold}
		}
		return enginetest.Reply{}
	})
	go func() {
		<-farm.Started()
		farm.Conn("h01").Lose()
	}()
	p := newPlan(2, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 1, MaxFail: plan.Threshold{Count: 1}},
		steps: []plan.Step{run("x", "x"), run("y", "y")}})
	s := mustRun(t, context.Background(), p, farm, engine.Options{})
	if h := s.Hosts[0]; h.Result != event.Failed || h.Note != "connection lost" {
		t.Errorf("h01 = %+v, want failed, connection lost", h)
	}
	if h := s.Hosts[1]; h.Result != event.OK {
		t.Errorf("h02 = %+v, want ok", h)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
