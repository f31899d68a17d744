//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// escapeCmd prints an OSC 52 clipboard write ("hello"), erases the line and
// prints a fake "exit 0" followed by a bare CR: on a raw terminal it would
// set the operator's clipboard and hide what is really there.
const escapeCmd = `printf '\033]52;c;aGVsbG8=\a\033[2Kexit 0\r'`

// escapeShown is how drover must show it: every escape as visible text.
const escapeShown = `\x1b]52;c;aGVsbG8=\x07\x1b[2Kexit 0`

// checkNoRawEscape fails when out holds an ESC, BEL, CR or backspace byte.
func checkNoRawEscape(t *testing.T, what, out string) {
	t.Helper()
	for _, b := range []byte{0x1b, 0x07, '\r', '\b'} {
		if i := strings.IndexByte(out, b); i >= 0 {
			t.Errorf("%s holds the raw byte %#x at %d: %q", what, b, i, out)
		}
	}
}

func TestEscapesShownAsText(t *testing.T) {
	needDrover(t, "exec")
	hosts := "web[01:03]"
	t.Run("folded output", func(t *testing.T) {
		out, errOut, code := droverCmd(t, "exec", "-H", hosts, "--", escapeCmd)
		if code != 0 {
			t.Fatalf("exit %d, want 0", code)
		}
		if !strings.Contains(out, escapeShown) {
			t.Errorf("stdout does not show the escapes as text %q:\n%q", escapeShown, out)
		}
		checkNoRawEscape(t, "stdout", out)
		checkNoRawEscape(t, "stderr", errOut)
	})
	t.Run("verbose lines", func(t *testing.T) {
		out, errOut, code := droverCmd(t, "exec", "-v", "-H", hosts, "--", escapeCmd)
		if code != 0 {
			t.Fatalf("exit %d, want 0", code)
		}
		if n := strings.Count(out, escapeShown); n < 3 {
			t.Errorf("the escapes are shown as text %d times, want once per host:\n%q", n, out)
		}
		checkNoRawEscape(t, "stdout", out)
		checkNoRawEscape(t, "stderr", errOut)
	})
	t.Run("json", func(t *testing.T) {
		out, _, code := droverCmd(t, "exec", "--json", "-H", hosts, "--", escapeCmd)
		if code != 0 {
			t.Fatalf("exit %d, want 0", code)
		}
		if !strings.Contains(out, `\u001b]52;c;aGVsbG8=\u0007`) {
			t.Errorf("JSON does not carry the escapes escaped:\n%q", out)
		}
		checkNoRawEscape(t, "stdout", out)
	})
	t.Run("log", func(t *testing.T) {
		c := exec.Command(droverBin, "log", "last", "-v")
		c.Env = droverEnv()
		b, err := c.Output()
		out := string(b)
		t.Logf("drover log last -v:\n%s", out)
		if err != nil {
			t.Fatalf("drover log: %v", err)
		}
		if !strings.Contains(out, escapeShown) {
			t.Errorf("drover log -v does not show the escapes as text:\n%q", out)
		}
		checkNoRawEscape(t, "drover log", out)
	})
}

// TestEscapesOnATerminal runs the same command on a real terminal (tmux,
// which honours OSC 52 when set-clipboard is on) and looks at the screen and
// at tmux's paste buffers: the clipboard write must stay text. The same
// printf run straight on the terminal proves the check can fail.
func TestEscapesOnATerminal(t *testing.T) {
	needDrover(t, "exec")
	tm := newTmux(t)
	bin, err := filepath.Abs(droverBin)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range droverEnv() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_STATE_HOME=") {
			env = append(env, shellQuote(kv))
		}
	}
	exitFile := filepath.Join(t.TempDir(), "exit")
	line := fmt.Sprintf("env %s %s exec -i %s -H web01 -- %s; echo $? > %s; sleep 600",
		strings.Join(env, " "), bin, farm.Inventory(), shellQuote(escapeCmd), exitFile)
	tm.start(t, "sleep 600")
	tm.run(t, "set-option", "-g", "set-clipboard", "on")
	tm.run(t, "respawn-pane", "-k", "-t", "e2e", line)
	screen := tm.finish(t, exitFile)
	if !strings.Contains(screen, escapeShown) {
		t.Errorf("the screen does not show the escapes as text %q", escapeShown)
	}
	if bufs := strings.TrimSpace(tm.run(t, "list-buffers")); bufs != "" {
		t.Errorf("the host set the clipboard through drover: tmux buffers %q", bufs)
	}

	// The control: the same bytes printed raw do set the clipboard.
	done := filepath.Join(t.TempDir(), "done")
	tm.run(t, "respawn-pane", "-k", "-t", "e2e", escapeCmd+"; touch "+shellQuote(done)+"; sleep 600")
	waitFor(t, 10*time.Second, "printf to finish", func() bool {
		_, err := os.Stat(done)
		return err == nil
	})
	waitFor(t, 5*time.Second, "the raw OSC 52 to reach tmux's buffers", func() bool {
		return strings.Contains(tm.run(t, "show-buffer"), "hello")
	})
}
