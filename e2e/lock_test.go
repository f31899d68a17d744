//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// droverProc is a drover run in the background.
type droverProc struct {
	cmd      *exec.Cmd
	out, err strings.Builder
	cancel   context.CancelFunc
}

// startDrover starts drover with the farm's inventory; the test waits for
// it with wait, and its cleanup kills it if the test did not.
func startDrover(t testing.TB, args ...string) *droverProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	p := &droverProc{cmd: droverCommand(ctx, args...), cancel: cancel}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start drover: %v", err)
	}
	t.Cleanup(cancel)
	return p
}

// wait waits for the run to end and returns its exit code.
func (p *droverProc) wait(t testing.TB) int {
	t.Helper()
	code := exitStatus(t, p.cmd.Wait())
	p.cancel()
	t.Logf("drover %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), code, p.out.String(), p.err.String())
	return code
}

// runIDIn is the run id drover printed at the end of a run, or "".
func runIDIn(out string) string {
	m := regexp.MustCompile(`run (\d{8}-\d{6}-[0-9a-f]+)`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

// locked lists the hosts whose /srv/app/.drover/lock exists.
func locked(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		if srvExists(h, "app/.drover/lock") {
			out = append(out, h)
		}
	}
	return out
}

func TestLockOneRunAtATime(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:12]
	source := installApp(t, hosts, "web[01:12]", "r1")
	a := startDrover(t, cutoverArgs(source, "r2", "web[01:12]")...)
	b := startDrover(t, cutoverArgs(source, "r2", "web[01:12]")...)
	codes := []int{a.wait(t), b.wait(t)}
	winner, loser := a, b
	if codes[0] == 4 {
		winner, loser = b, a
	}
	slices.Sort(codes)
	if !slices.Equal(codes, []int{0, 4}) {
		t.Fatalf("exit codes %v, want one run to finish (0) and the other to find the farm locked (4)", codes)
	}
	owner := runIDIn(winner.out.String())
	if owner == "" || !strings.Contains(loser.out.String()+loser.err.String(), owner) {
		t.Errorf("the locked-out run does not name the owner run %q", owner)
	}
	wantApp(t, hosts, "r2")
	if l := locked(hosts); len(l) > 0 {
		t.Errorf("locks left on %v", l)
	}
}

func TestLockGoneAfterInterrupt(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:6]
	source := installApp(t, hosts, "web[01:06]", "r1")
	p := startDrover(t, cutoverArgs(source, "r2", "web[01:06]", "--set", "restart="+appRestart+"; sleep 3")...)
	waitFor(t, 30*time.Second, "web01 to switch to r2", func() bool { return current("web01") == "r2" })
	if l := locked(hosts); len(l) != len(hosts) {
		t.Errorf("mid-run, locks only on %v", l)
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("interrupt drover: %v", err)
	}
	if code := p.wait(t); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	if l := locked(hosts); len(l) > 0 {
		t.Errorf("locks left after Ctrl-C on %v", l)
	}
}

func TestUnlockAfterKill(t *testing.T) {
	needDrover(t, "unlock")
	hosts := farm.Names[:6]
	source := installApp(t, hosts, "web[01:06]", "r1")
	p := startDrover(t, cutoverArgs(source, "r2", "web[01:06]", "--set", "restart="+appRestart+"; sleep 3")...)
	waitFor(t, 30*time.Second, "web01 to switch to r2", func() bool { return current("web01") == "r2" })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill drover: %v", err)
	}
	p.wait(t)
	if l := locked(hosts); len(l) != len(hosts) {
		t.Fatalf("after kill -9, locks on %v, want every host", l)
	}
	if _, _, code := droverCmd(t, "run", "cutover", "-H", "web[01:06]", "--yes", "--set", "release=r2",
		"--set", "source="+source, "--set", "restart="+appRestart, "--set", "log="+appLog); code != 4 {
		t.Errorf("a run while the stale lock is there: exit %d, want 4", code)
	}
	if _, _, code := droverCmd(t, "unlock", "-H", "web[01:06]"); code != 0 {
		t.Errorf("drover unlock: exit %d, want 0", code)
	}
	if l := locked(hosts); len(l) > 0 {
		t.Errorf("locks left after unlock on %v", l)
	}
	for _, h := range hosts {
		if history := srvRead(t, h, "app/.drover/history"); !strings.Contains(history, "unlock") {
			t.Errorf("%s: history does not record the unlock:\n%s", h, history)
		}
	}
}
