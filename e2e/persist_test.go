//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPersistKeepsConnections: on real sshd, a second exec with --persist
// opens no TCP connection (sshd logs none), sees the same hosts, and
// drover disconnect closes the connections and leaves no drover process.
func TestPersistKeepsConnections(t *testing.T) {
	needDrover(t, "exec")
	run := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	drover := func(args ...string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
		defer cancel()
		full := args
		if args[0] == "exec" || args[0] == "run" {
			full = append([]string{args[0], "-i", farm.Inventory()}, args[1:]...)
		}
		c := exec.CommandContext(ctx, droverBin, full...)
		c.Env = append(droverEnv(), "XDG_RUNTIME_DIR="+run)
		out, err := c.CombinedOutput()
		code := exitStatus(t, err)
		t.Logf("drover %s: exit %d\n%s", strings.Join(args, " "), code, out)
		return string(out), code
	}
	t.Cleanup(func() { drover("disconnect") })
	accepted := func() int {
		n := 0
		for _, name := range farm.Names {
			addr := farm.Addr(t, name)
			for _, l := range strings.Split(farm.SSHDLog(t, name), "\n") {
				if strings.HasPrefix(l, "Connection from ") && strings.Contains(l, " on "+addr+" port ") {
					n++
				}
			}
		}
		return n
	}
	before := accepted()
	if out, code := drover("exec", "-g", "web", "--persist", "60s", "--", "true"); code != 0 || !strings.Contains(out, allOK(farm.Names)) {
		t.Fatalf("first exec: exit %d\n%s", code, out)
	}
	first := accepted()
	if first-before != len(farm.Names) {
		t.Errorf("the first exec opened %d connections, want %d", first-before, len(farm.Names))
	}
	out, code := drover("exec", "-g", "web", "--persist", "60s", "--", "true")
	if code != 0 || !strings.Contains(out, allOK(farm.Names)) {
		t.Fatalf("second exec: exit %d\n%s", code, out)
	}
	time.Sleep(200 * time.Millisecond) // sshd logs a connection as it accepts it
	if n := accepted() - first; n != 0 {
		t.Errorf("the second exec opened %d connections, want none", n)
	}
	// A runbook of plain steps (one host shell per host, closed at the end
	// of the stage) on the kept connections.
	rb := stepsRunbook(t, "one=echo one", "two=echo two", "three=echo three")
	if out, code := drover("run", rb, "-g", "web", "--yes", "--persist", "60s"); code != 0 || !strings.Contains(out, fmt.Sprintf("%d ok", len(farm.Names))) {
		t.Errorf("run on kept connections: exit %d\n%s", code, out)
	}
	if n := accepted() - first; n != 0 {
		t.Errorf("the run opened %d connections, want none", n)
	}
	if out, code := drover("disconnect"); code != 0 || !strings.Contains(out, "closed") {
		t.Errorf("disconnect: exit %d\n%s", code, out)
	}
	if out, _ := exec.Command("pgrep", "-f", "drover persist-keeper --dir "+run).Output(); len(out) > 0 {
		t.Errorf("drover processes left after disconnect: %s", out)
	}
}

// allOK is the fold header of exec when every host exited 0.
func allOK(names []string) string {
	return fmt.Sprintf("exit 0  %d/%d hosts", len(names), len(names))
}
