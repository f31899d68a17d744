//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDropbearLacks shows with OpenSSH's own client that the conformance
// cases skipped on Dropbear (dropbearLacks) fail there because of the
// server: the same client steps work on an OpenSSH host. When a Dropbear
// release fixes one, this test fails and the skip must go.
func TestDropbearLacks(t *testing.T) {
	needDropbear(t)
	servers := []struct {
		name  string
		host  string
		lacks bool
	}{{"openssh", farm.Names[0], false}, {"dropbear", farm.DropbearNames[0], true}}
	for _, sv := range servers {
		t.Run(sv.name+"/close a PTY channel", func(t *testing.T) {
			ctl := startMaster(t, sv.host)
			const cmd = "sleep 6011"
			c := exec.Command("ssh", "-S", ctl, "-tt", "deploy@"+farm.Addr(t, sv.host), cmd)
			if err := c.Start(); err != nil {
				t.Fatalf("start ssh: %v", err)
			}
			waitFor(t, 10*time.Second, cmd+" to run", func() bool { return len(hostProcs(t, sv.host, "sleep", "6011")) == 1 })
			c.Process.Kill() // the master closes this session's channel, not the connection
			c.Wait()
			left := func() bool { return len(hostProcs(t, sv.host, "sleep", "6011")) == 1 }
			if !sv.lacks {
				waitFor(t, 10*time.Second, cmd+" to end with its channel", func() bool { return !left() })
				return
			}
			time.Sleep(2 * time.Second) // a server that lacks it: nothing ends it
			if !left() {
				t.Errorf("%s ended after its channel closed; the server no longer lacks this", cmd)
			}
		})
		t.Run(sv.name+"/cancel a remote forward", func(t *testing.T) {
			ctl := startMaster(t, sv.host)
			out, err := exec.Command("ssh", "-S", ctl, "-O", "forward", "-R", "127.0.0.1:0:127.0.0.1:9", "x").Output()
			port := strings.TrimSpace(string(out))
			if err != nil || port == "" {
				t.Fatalf("ssh -O forward: %v, port %q", err, port)
			}
			if err := exec.Command("ssh", "-S", ctl, "-O", "cancel", "-R", "127.0.0.1:0:127.0.0.1:9", "x").Run(); err != nil {
				t.Fatalf("ssh -O cancel: %v", err)
			}
			listening := func() bool { return strings.Contains(farmExec(t, sv.host, "ss -Hltn"), ":"+port+" ") }
			if !sv.lacks {
				waitFor(t, 10*time.Second, "port "+port+" to close after the cancel", func() bool { return !listening() })
				return
			}
			time.Sleep(500 * time.Millisecond) // a server that lacks it: the port stays
			if !listening() {
				t.Errorf("port %s closed after the cancel; the server no longer lacks this", port)
			}
		})
		t.Run(sv.name+"/parallel sessions", func(t *testing.T) {
			// Dropbear's abort is a race: it mostly comes within a few
			// dozen rounds, but a busy machine can miss it for a hundred.
			// A connection that survives three hundred rounds on three
			// connections is a server without the bug. (OpenSSH gets one
			// connection: it must survive every round.)
			var rounds []int
			tries := 1
			if sv.lacks {
				tries = 3
			}
			for range tries {
				rounds = append(rounds, parallelRounds(t, startMaster(t, sv.host), 100))
				if rounds[len(rounds)-1] < 100 {
					break
				}
			}
			if died := rounds[len(rounds)-1] < 100; died != sv.lacks {
				t.Errorf("rounds of 8 parallel sessions each connection survived: %v; one died: %v, want %v", rounds, died, sv.lacks)
			}
		})
	}
}

// parallelRounds runs up to max rounds of 8 parallel sessions over the
// master's connection and returns how many rounds it survived.
func parallelRounds(t testing.TB, ctl string, max int) int {
	t.Helper()
	for r := range max {
		if err := exec.Command("ssh", "-S", ctl, "-O", "check", "x").Run(); err != nil {
			return r
		}
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() { exec.Command("ssh", "-S", ctl, "x", fmt.Sprintf("echo session-%d", i)).Run() })
		}
		wg.Wait()
	}
	return max
}

// startMaster starts an OpenSSH control master as deploy on host and
// returns its control socket; it exits when the test ends.
func startMaster(t testing.TB, host string) string {
	t.Helper()
	ctl := filepath.Join(t.TempDir(), "ctl")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentityAgent=none",
		"-o", "UserKnownHostsFile="+farm.KnownHosts(), "-o", "StrictHostKeyChecking=yes", "-i", farm.Key(),
		"-M", "-S", ctl, "-fN", "deploy@"+farm.Addr(t, host))
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("start ssh master on %s: %v\n%s", host, err, out)
	}
	t.Cleanup(func() { exec.Command("ssh", "-S", ctl, "-O", "exit", "x").Run() })
	return ctl
}
