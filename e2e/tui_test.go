//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sandboxFarm is a `drover sandbox` running in the background: in-process
// SSH hosts, each with its own directory.
type sandboxFarm struct {
	dir       string // --dir: hosts/NAME are the hosts' directories
	inventory string
}

// startSandboxFarm starts `drover sandbox -n n` and waits for its
// inventory; the test's cleanup stops the apps the runs started and the
// sandbox.
func startSandboxFarm(t *testing.T, n int) *sandboxFarm {
	t.Helper()
	dir := t.TempDir()
	sb := &sandboxFarm{dir: dir, inventory: filepath.Join(dir, "inventory.toml")}
	ctx, cancel := context.WithCancel(context.Background())
	c := exec.CommandContext(ctx, droverBin, "sandbox", "-n", strconv.Itoa(n), "--dir", filepath.Join(dir, "farm"),
		"--inventory-out", sb.inventory)
	c.Cancel = func() error { return c.Process.Signal(os.Interrupt) }
	c.WaitDelay = 5 * time.Second
	if err := c.Start(); err != nil {
		t.Fatalf("start drover sandbox: %v", err)
	}
	t.Cleanup(func() {
		sb.stopApps(t)
		cancel()
		c.Wait()
	})
	waitFor(t, 20*time.Second, "the sandbox's inventory", func() bool {
		_, err := os.Stat(sb.inventory)
		return err == nil
	})
	return sb
}

// stopApps ends the demo apps the cutover started on the hosts.
func (sb *sandboxFarm) stopApps(t *testing.T) {
	pids, _ := filepath.Glob(filepath.Join(sb.dir, "farm", "hosts", "*", "app", "app.pid"))
	for _, f := range pids {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	}
}

// demoSource writes a release source tree with the demo app in bin/.
func demoSource(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(filepath.Join(src, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app", "restart"} {
		b, err := os.ReadFile(filepath.Join("..", "internal", "sandbox", "demoapp", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, "bin", name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// tuiRun is one drover run on a tmux terminal with colour: the shell line
// writes drover's exit status to a file, then waits.
type tuiRun struct {
	tm       *tmux
	exitFile string
}

func startTUIRun(t *testing.T, sb *sandboxFarm, args ...string) *tuiRun {
	t.Helper()
	bin, err := filepath.Abs(droverBin)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	r := &tuiRun{tm: newTmux(t), exitFile: filepath.Join(home, "exit")}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	line := fmt.Sprintf("env -u NO_COLOR HOME=%s XDG_STATE_HOME=%s/state TERM=xterm-256color %s %s; echo $? > %s; sleep 600",
		home, home, bin, strings.Join(quoted, " "), r.exitFile)
	r.tm.start(t, line)
	return r
}

// waitScreen polls the terminal until it matches re, and returns it.
func (r *tuiRun) waitScreen(t *testing.T, what string, re *regexp.Regexp) string {
	t.Helper()
	var screen string
	defer func() {
		if t.Failed() {
			t.Logf("terminal:\n%s", screen)
		}
	}()
	waitFor(t, 30*time.Second, what, func() bool {
		screen = strings.TrimRight(r.tm.screen(t), " \n")
		return re.MatchString(screen)
	})
	return screen
}

func (r *tuiRun) answer(t *testing.T, key string) {
	t.Helper()
	r.tm.run(t, "send-keys", "-t", "e2e", key, "Enter")
}

// exit waits for drover to end and returns its exit status.
func (r *tuiRun) exit(t *testing.T) string {
	t.Helper()
	waitFor(t, 60*time.Second, "drover to finish", func() bool {
		_, err := os.Stat(r.exitFile)
		return err == nil
	})
	b, _ := os.ReadFile(r.exitFile)
	return strings.TrimSpace(string(b))
}

// gateQuestion matches the question of batch k of a cutover, with its
// hosts and answers.
func gateQuestion(k int) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`(?s)start batch %d of 3 .*hosts: web.*\[y\]es \[n\]o \[a\]ll \[q\]uit >$`, k))
}

// TestTUIGatedCutover drives a gated cutover on a real terminal: the board's
// header and in-flight hosts, the gates answered y then a, and the summary;
// then a second run quit at its first gate exits 3.
func TestTUIGatedCutover(t *testing.T) {
	needDrover(t, "sandbox")
	sb := startSandboxFarm(t, 8)
	src := demoSource(t)
	cutover := func(release string) []string {
		return []string{"run", "cutover", "-i", sb.inventory, "-g", "web", "--set", "release=" + release,
			"--set", "root=app", "--set", "source=" + src, "--set", "restart=sh app/current/bin/restart",
			"--set", "log=app/app.log"}
	}

	t.Run("y then a", func(t *testing.T) {
		r := startTUIRun(t, sb, cutover("r1")...)
		r.waitScreen(t, "the gate of batch 1", gateQuestion(1))
		r.answer(t, "y")
		r.waitScreen(t, "the gate of batch 2", gateQuestion(2))
		r.answer(t, "a")
		board := r.waitScreen(t, "the board of batch 3 with hosts in flight",
			regexp.MustCompile(`cutover │ stage cutover │ batch 3/3 │ \d ok · 0 failed · [12] running · \d waiting · 0 skipped`+
				`.*\n +. web0\d +#\d +(switch|restart|wait for the log) `))
		t.Logf("board:\n%s", board)
		if code := r.exit(t); code != "0" {
			t.Errorf("exit %s, want 0", code)
		}
		screen := r.tm.screen(t)
		t.Logf("terminal:\n%s", screen)
		for _, want := range []string{
			"[y]es [n]o [a]ll [q]uit > y", "[y]es [n]o [a]ll [q]uit > a",
			"✓ web08  cutover", "│ HOST  │ STAGE   │ RESULT │", "│ web08 │ cutover │ ✓ ok   │", "8 ok\n",
			"journal with `drover log ",
		} {
			if !strings.Contains(screen, want) {
				t.Errorf("the terminal does not show %q", want)
			}
		}
		if n := strings.Count(screen, "start batch 3 of 3"); n != 0 {
			t.Errorf("batch 3 was asked %d times after a", n)
		}
	})

	t.Run("q", func(t *testing.T) {
		r := startTUIRun(t, sb, cutover("r2")...)
		r.waitScreen(t, "the gate of batch 1", gateQuestion(1))
		r.answer(t, "q")
		if code := r.exit(t); code != "3" {
			t.Errorf("exit %s, want 3", code)
		}
		screen := r.tm.screen(t)
		t.Logf("terminal:\n%s", screen)
		for _, want := range []string{"[y]es [n]o [a]ll [q]uit > q", "│ HOST  │ STAGE", "resume with `drover run "} {
			if !strings.Contains(screen, want) {
				t.Errorf("the terminal does not show %q", want)
			}
		}
	})
}
