package engine_test

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// TestHostOperationsHaveADeadline: what the engine asks of a host beside a
// step's own work ends within Options.HostTimeout: the size of a log that
// is a FIFO (as a hung mount would), and a session on a host that stopped
// answering (PTY set-up, start).
func TestHostOperationsHaveADeadline(t *testing.T) {
	tests := []struct {
		name   string
		steps  []plan.Step
		freeze bool
		want   string
	}{
		{"log size of a FIFO", []plan.Step{{Name: "x", Kind: plan.KindWatch, Arg: "fifo", Until: never, Timeout: time.Minute}},
			false, "read its size"},
		{"pty on a frozen host", []plan.Step{{Name: "x", Kind: plan.KindRun, Arg: "true", Until: never, Timeout: time.Minute}},
			true, "did not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm, hosts, conns := startFarmKeepalive(t, 1, time.Minute)
			if err := syscall.Mkfifo(filepath.Join(farm.Hosts[0].Dir, "fifo"), 0o600); err != nil {
				t.Fatal(err)
			}
			if tt.freeze {
				farm.Hosts[0].Freeze()
			}
			p := &plan.Plan{Name: "farm", Hosts: hosts, Stages: []plan.Stage{{Name: "s", Parallel: 1,
				Steps: map[string][]plan.Step{hosts[0].Name: tt.steps}}}}
			rec := &recorder{}
			s := runWithin(t, 10*time.Second, func() (*engine.Summary, error) {
				return engine.Run(context.Background(), p, conns, engine.Options{Sink: rec, HostTimeout: 300 * time.Millisecond})
			})
			if h := s.Hosts[0]; h.Result != event.Failed {
				t.Errorf("%s = %+v, want failed", h.Host, h)
			}
			ends := rec.kinds(event.StepEnd)
			if len(ends) != 1 || !strings.Contains(ends[0].Error, tt.want) || !strings.Contains(ends[0].Error, "300ms") {
				t.Errorf("step.end = %+v, want an error with %q and the deadline", ends, tt.want)
			}
		})
	}
}
