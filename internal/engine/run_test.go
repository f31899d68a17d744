package engine_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/engine/enginetest"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

func TestInterruptStopsEverything(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	farm := enginetest.NewFarm(func(host, cmd string) enginetest.Reply {
		return enginetest.Reply{Hold: make(chan struct{})}
	})
	go func() {
		<-farm.Started()
		<-farm.Started()
		cancel()
	}()
	p := newPlan(4,
		stageSpec{Stage: plan.Stage{Name: "s", Parallel: 2, UndoOnAbort: true},
			steps: []plan.Step{run("x", "x")}, undo: []plan.Step{run("undo", "undo")}},
		stageSpec{Stage: plan.Stage{Name: "t"}, steps: []plan.Step{run("y", "y")}})
	rec := &recorder{}
	s, err := engine.Run(ctx, p, farm.Conns(hostNames(4)...), engine.Options{Sink: rec, Gate: engine.AlwaysYes})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !s.Interrupted || s.Aborted {
		t.Errorf("interrupted = %v aborted = %v, want interrupted only", s.Interrupted, s.Aborted)
	}
	want := map[string]event.Result{"h01": event.Interrupted, "h02": event.Interrupted,
		"h03": event.Interrupted, "h04": event.Interrupted}
	if got := results(s); !mapsEqual(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
	if got := len(farm.Commands()); got != 2 {
		t.Errorf("%d commands ran, want 2 (no new work, no undo)", got)
	}
	for _, e := range rec.kinds(event.HostEnd) {
		if e.Result != event.Interrupted {
			t.Errorf("host.end %s = %s, want interrupted", e.Host, e.Result)
		}
	}
}

func TestResumeSkipsDoneStages(t *testing.T) {
	farm := enginetest.NewFarm(exitScript(nil))
	p := newPlan(2,
		stageSpec{Stage: plan.Stage{Name: "one"}, steps: []plan.Step{run("a", "a")}},
		stageSpec{Stage: plan.Stage{Name: "two"}, steps: []plan.Step{run("b", "b")}})
	rec := &recorder{}
	done := map[string][]string{"h01": {"one", "two"}, "h02": {"one"}}
	s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec, Done: done})
	if got := farm.HostCommands("h01"); len(got) != 0 {
		t.Errorf("h01 ran %v, want nothing", got)
	}
	if got := farm.HostCommands("h02"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("h02 ran %v, want b", got)
	}
	if s.Failed() || results(s)["h01"] != event.OK {
		t.Errorf("summary = %+v, want all ok", s)
	}
	ends := 0
	for _, e := range rec.kinds(event.HostEnd) {
		if e.Result == event.OK {
			ends++
		}
	}
	if ends != 4 { // the journal of this run must show every stage done
		t.Errorf("%d ok host.end events, want 4", ends)
	}
}

type failingSink struct{ after int }

func (f *failingSink) Emit(e event.Event) error {
	if f.after--; f.after < 0 {
		return errors.New("disk full")
	}
	return nil
}

func TestSinkErrorStopsTheRun(t *testing.T) {
	farm := enginetest.NewFarm(exitScript(nil))
	p := newPlan(3, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 1}, steps: []plan.Step{run("a", "a")}})
	_, err := engine.Run(context.Background(), p, farm.Conns(hostNames(3)...), engine.Options{Sink: &failingSink{after: 3}})
	if err == nil {
		t.Fatal("Run = nil error, want the sink's")
	}
	if got := len(farm.Commands()); got > 1 {
		t.Errorf("%d commands ran after the sink failed, want at most 1", got)
	}
}

func TestTunnelsOpenWhileTheHostRuns(t *testing.T) {
	farm := enginetest.NewFarm(exitScript(nil))
	p := newPlan(1, stageSpec{Stage: plan.Stage{Name: "s"}, steps: []plan.Step{run("a", "a")}})
	p.Tunnels = []plan.Tunnel{{Remote: "127.0.0.1:9418", Local: "127.0.0.1:9418"}}
	mustRun(t, context.Background(), p, farm, engine.Options{})
	if got := farm.Conn("h01").Tunnels(); !slices.Equal(got, []string{"127.0.0.1:9418->127.0.0.1:9418"}) {
		t.Errorf("tunnels = %v", got)
	}
}

func TestHostWithoutConnectionIsUnreachable(t *testing.T) {
	farm := enginetest.NewFarm(exitScript(nil))
	p := newPlan(2, stageSpec{Stage: plan.Stage{Name: "s"}, steps: []plan.Step{run("a", "a")}})
	s, err := engine.Run(context.Background(), p, farm.Conns("h02"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h := s.Hosts[0]; h.Result != event.Unreachable || h.Note != "not connected" {
		t.Errorf("h01 = %+v, want unreachable, not connected", h)
	}
	if h := s.Hosts[1]; h.Result != event.OK {
		t.Errorf("h02 = %+v, want ok", h)
	}
	if s.Aborted || !s.Failed() {
		t.Errorf("aborted = %v failed = %v, want not aborted but failed", s.Aborted, s.Failed())
	}
}

// TestResumeAbortUndoesEarlierHosts: a resumed run that aborts undoes the
// stage on the hosts that completed it in the earlier run too, so no host
// stays on the new release because drover was restarted in between.
func TestResumeAbortUndoesEarlierHosts(t *testing.T) {
	farm := enginetest.NewFarm(exitScript(map[string]map[string]int{"h03": {"do": 1}}))
	p := newPlan(4, stageSpec{Stage: plan.Stage{Name: "cut", Parallel: 1, UndoOnAbort: true},
		steps: []plan.Step{run("do", "do")}, undo: []plan.Step{run("undo", "undo")}})
	done := map[string][]string{"h01": {"cut"}, "h02": {"cut"}}
	s := mustRun(t, context.Background(), p, farm, engine.Options{Done: done})
	if !s.Aborted {
		t.Fatal("run not aborted")
	}
	var undone []string
	for _, h := range hostNames(4) {
		if slices.Contains(farm.HostCommands(h), "undo") {
			undone = append(undone, h)
		}
	}
	if want := []string{"h01", "h02", "h03"}; !slices.Equal(undone, want) {
		t.Errorf("undo ran on %v, want %v", undone, want)
	}
}
