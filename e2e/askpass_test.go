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

// tmux drives a command on a real terminal: a private tmux server on its
// own socket, one session of 120x40.
type tmux struct {
	socket string
}

func newTmux(t testing.TB) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		skipUnlessCI(t, "needs tmux: %v", err)
	}
	tm := &tmux{socket: fmt.Sprintf("drover-e2e-%d", os.Getpid())}
	t.Cleanup(func() { tm.run(t, "kill-server") })
	return tm
}

// run runs a tmux command and returns its output; errors are logged only,
// since kill-server and capture-pane on an ended session may fail.
func (tm *tmux) run(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		t.Logf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// start runs the shell command line in a new detached session.
func (tm *tmux) start(t testing.TB, line string) {
	t.Helper()
	tm.run(t, "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", line)
}

// screen is what the terminal shows, with the scroll-back.
func (tm *tmux) screen(t testing.TB) string {
	t.Helper()
	return tm.run(t, "capture-pane", "-p", "-S", "-200", "-t", "e2e")
}

func TestExecAskPass(t *testing.T) {
	needDrover(t, "exec")
	tm := newTmux(t)
	hosts := farm.Names[:10]
	exitFile := filepath.Join(t.TempDir(), "exit")
	var env []string
	for _, kv := range droverEnv() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_STATE_HOME=") || kv == "NO_COLOR=1" {
			env = append(env, shellQuote(kv))
		}
	}
	bin, err := filepath.Abs(droverBin)
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("env %s %s exec -i %s -H %s -u pwuser --ask-pass -- id -un; echo $? > %s; sleep 600",
		strings.Join(env, " "), bin, farm.Inventory(), strings.Join(hosts, ","), exitFile)
	tm.start(t, line)
	waitFor(t, 30*time.Second, "a password prompt", func() bool {
		return strings.Contains(strings.ToLower(tm.screen(t)), "password")
	})
	tm.run(t, "send-keys", "-t", "e2e", "pw-old", "Enter")
	screen := tm.finish(t, exitFile)
	if n := strings.Count(strings.ToLower(screen), "password"); n != 1 {
		t.Errorf("the password was asked %d times, want once", n)
	}
	if strings.Contains(screen, "pw-old") {
		t.Errorf("the password was echoed on the terminal")
	}
	for _, name := range hosts {
		if !strings.Contains(farm.SSHDLog(t, name), "Accepted password for pwuser") {
			t.Errorf("%s: no password login in its sshd log", name)
		}
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// finish waits for the command of the pane to write its exit status to
// exitFile, logs the screen, fails the test unless the status is 0, and
// returns the screen.
func (tm *tmux) finish(t testing.TB, exitFile string) string {
	t.Helper()
	waitFor(t, 60*time.Second, "drover to finish", func() bool {
		_, err := os.Stat(exitFile)
		return err == nil
	})
	screen := tm.screen(t)
	t.Logf("terminal:\n%s", screen)
	if code, _ := os.ReadFile(exitFile); strings.TrimSpace(string(code)) != "0" {
		t.Errorf("exit %s, want 0", code)
	}
	return screen
}
