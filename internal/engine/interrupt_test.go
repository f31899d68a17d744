package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/sshtest"
)

var never = regexp.MustCompile("never")

// TestInterruptDoesNotWaitForTheHost: cancelling a run ends it within a
// bound whatever the hosts do. A frozen host never answers the session's
// close, as OpenSSH never does while a command without a PTY that ignores
// signals holds its output: reads of its output and writes of its input
// must not keep the run waiting, and every host's end is reported.
func TestInterruptDoesNotWaitForTheHost(t *testing.T) {
	endless := endlessFile(t)
	tests := []struct {
		name   string
		step   plan.Step
		freeze event.Kind // the host freezes at this event of the step
	}{
		{"run", plan.Step{Name: "x", Kind: plan.KindRun, Arg: "echo started; sleep 300"}, event.StepOutput},
		{"upload", plan.Step{Name: "x", Kind: plan.KindUpload, Arg: endless, To: "big"}, event.StepStart},
		{"pty", plan.Step{Name: "x", Kind: plan.KindRun, Arg: "echo started; sleep 300", Until: never}, event.StepOutput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm, hosts, conns := startFarmKeepalive(t, 1, time.Minute)
			p := &plan.Plan{Name: "farm", Hosts: hosts, Stages: []plan.Stage{{Name: "s", Parallel: 1,
				Steps: map[string][]plan.Step{hosts[0].Name: {tt.step}}}}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rec := &recorder{}
			rec.on = func(e event.Event) {
				if e.Kind == tt.freeze && e.Step == "x" {
					go func() {
						waitBusy(farm.Hosts[0])
						farm.Hosts[0].Freeze()
						cancel()
					}()
				}
			}
			s := runWithin(t, 10*time.Second, func() (*engine.Summary, error) {
				return engine.Run(ctx, p, conns, engine.Options{Sink: rec})
			})
			if !s.Interrupted || s.Hosts[0].Result != event.Interrupted {
				t.Errorf("summary = %+v, want interrupted", s)
			}
			if got := len(rec.kinds(event.HostEnd)); got != 1 {
				t.Errorf("%d host.end events, want 1", got)
			}
		})
	}
}

// runWithin runs fn and fails the test when it does not return within d.
func runWithin(t *testing.T, d time.Duration, fn func() (*engine.Summary, error)) *engine.Summary {
	t.Helper()
	type result struct {
		s   *engine.Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := fn()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Run: %v", r.err)
		}
		return r.s
	case <-time.After(d):
		t.Fatalf("Run still waits for the host %s after the interrupt", d)
	}
	return nil
}

// endlessFile is a FIFO on this machine that gives bytes for as long as it
// is read: an upload of it is always in progress.
func endlessFile(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "endless")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		buf := make([]byte, 64<<10)
		for {
			if _, err := f.Write(buf); err != nil {
				return
			}
		}
	}()
	return path
}

// waitBusy returns once the host runs a command.
func waitBusy(h *sshtest.Host) {
	for h.Processes() == 0 {
		runtime.Gosched()
	}
}
