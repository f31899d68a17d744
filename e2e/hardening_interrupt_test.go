//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// stubbornRunbook runs, without a PTY, a command that ignores every signal
// a person or sshd could send it.
const stubbornRunbook = `
name = "stubborn"
[[stage]]
name = "s"
  [[stage.step]]
  name = "ignore signals"
  run  = "trap '' INT TERM HUP; sleep 300"
`

// TestInterruptStubbornCommands: SIGINT or SIGTERM during a plain run step
// on root logins, whose remote commands ignore signals, ends drover with
// exit 130 within 5s, with every host's end and the run's end in the
// journal.
func TestInterruptStubbornCommands(t *testing.T) {
	needDrover(t, "run")
	rb := filepath.Join(t.TempDir(), "stubborn.toml")
	writeFile(t, rb, stubbornRunbook)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Cleanup(func() { killFarmProcs(farmProcs(t, "sleep", "300")) })
			ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
			defer cancel()
			c := droverCommand(ctx, "run", rb, "-g", "web", "-u", "root", "--yes")
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			start := time.Now()
			if err := c.Start(); err != nil {
				t.Fatalf("start drover: %v", err)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("drover output:\n%s", out.String())
				}
			})
			waitFor(t, 30*time.Second, "sleep 300 on every host", func() bool {
				return len(farmProcs(t, "sleep", "300")) == len(farm.Names)
			})
			sent := time.Now()
			if err := c.Process.Signal(sig); err != nil {
				t.Fatalf("signal drover: %v", err)
			}
			code := exitStatus(t, c.Wait())
			took := time.Since(sent)
			t.Logf("drover: exit %d %v after %s\n%s", code, took, sig, out.String())
			if code != 130 {
				t.Errorf("exit %d, want 130", code)
			}
			if took > 5*time.Second {
				t.Errorf("drover ended %v after %s, want within 5s", took, sig)
			}
			_, events := lastJournal(t, start)
			for _, name := range farm.Names {
				if e, ok := hostEnd(events, "s", name); !ok || e.Result != "interrupted" {
					t.Errorf("journal: host.end of %s = %+v (%v), want interrupted", name, e, ok)
				}
			}
			if ends := findEvents(events, "run.end"); len(ends) != 1 || ends[0].Code != 130 {
				t.Errorf("journal: run.end = %+v, want one with code 130", ends)
			}
		})
	}
}
