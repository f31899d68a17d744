package engine_test

import (
	"context"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/engine/enginetest"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// heldFarm holds every command until release is told its host.
func heldFarm(hosts []string) (*enginetest.Farm, map[string]chan struct{}) {
	holds := map[string]chan struct{}{}
	for _, h := range hosts {
		holds[h] = make(chan struct{})
	}
	farm := enginetest.NewFarm(func(host, cmd string) enginetest.Reply {
		return enginetest.Reply{Hold: holds[host]}
	})
	return farm, holds
}

func TestWindowNeverExceedsParallel(t *testing.T) {
	tests := []struct {
		name            string
		hosts, parallel int
	}{
		{"three of ten", 10, 3},
		{"one at a time", 4, 1},
		{"window larger than batch", 3, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm, holds := heldFarm(hostNames(tt.hosts))
			p := newPlan(tt.hosts, stageSpec{Stage: plan.Stage{Name: "s", Parallel: tt.parallel},
				steps: []plan.Step{run("x", "true")}})
			go releaseWhenFull(farm, holds, tt.hosts, tt.parallel)
			s := mustRun(t, context.Background(), p, farm, engine.Options{})
			if got, want := farm.MaxRunning(), min(tt.parallel, tt.hosts); got != want {
				t.Errorf("max hosts in flight = %d, want %d", got, want)
			}
			if s.Failed() || s.Aborted {
				t.Errorf("summary = %+v, want all ok", s)
			}
		})
	}
}

// releaseWhenFull lets the oldest running command end each time the window
// is full or every host has started: the window is filled before anything
// ends, so a window that overflows would be seen.
func releaseWhenFull(farm *enginetest.Farm, holds map[string]chan struct{}, n, parallel int) {
	var running []string
	for started := 0; started < n || len(running) > 0; {
		if len(running) < parallel && started < n {
			c := <-farm.Started()
			running = append(running, c.Host)
			started++
			continue
		}
		close(holds[running[0]])
		running = running[1:]
	}
}

func TestBatchesAreBarriers(t *testing.T) {
	farm := enginetest.NewFarm(exitScript(nil))
	sizes := []plan.BatchSize{{Count: 1}, {Percent: 50, IsPercent: true}}
	p := newPlan(7, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 2, Batches: sizes},
		steps: []plan.Step{run("a", "a"), run("b", "b")}})
	rec := &recorder{}
	mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec})

	open := map[string]bool{} // hosts started and not ended
	batch, batches := 0, 0
	for _, e := range rec.all() {
		switch e.Kind {
		case event.BatchStart:
			if len(open) > 0 {
				t.Fatalf("batch %d started while %v still run", e.Batch, open)
			}
			batch, batches = e.Batch, batches+1
		case event.BatchEnd:
			if len(open) > 0 {
				t.Fatalf("batch %d ended while %v still run", e.Batch, open)
			}
			batch = 0
		case event.HostStart:
			if batch == 0 {
				t.Fatalf("host %s started outside a batch", e.Host)
			}
			open[e.Host] = true
		case event.HostEnd:
			delete(open, e.Host)
		}
	}
	if batches != 3 { // 1, then 4 (50% of 7), then 2
		t.Errorf("batches = %d, want 3", batches)
	}
	if got := rec.ran("s"); len(got) != 7 || got[0] != "h01" {
		t.Errorf("hosts started = %v, want all 7 from h01", got)
	}
}

func TestStagesAreBarriers(t *testing.T) {
	farm := enginetest.NewFarm(exitScript(nil))
	p := newPlan(5,
		stageSpec{Stage: plan.Stage{Name: "one", Parallel: 3}, steps: []plan.Step{run("a", "a")}},
		stageSpec{Stage: plan.Stage{Name: "two", Parallel: 3}, steps: []plan.Step{run("b", "b")}})
	rec := &recorder{}
	mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec})
	endedOne := 0
	for _, e := range rec.all() {
		if e.Kind == event.HostEnd && e.Stage == "one" {
			endedOne++
		}
		if e.Kind == event.HostStart && e.Stage == "two" && endedOne != 5 {
			t.Fatalf("%s started stage two after %d hosts ended stage one", e.Host, endedOne)
		}
	}
}
