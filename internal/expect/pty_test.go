package expect

import (
	"errors"
	"io"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// eioAsEOF turns the EIO a Linux PTY master returns once the command has
// exited into the EOF a session returns.
type eioAsEOF struct{ r io.Reader }

func (e eioAsEOF) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, syscall.EIO) {
		err = io.EOF
	}
	return n, err
}

// TestPTY converses with a real shell in a real terminal: the terminal
// echoes answers, and hides the password.
func TestPTY(t *testing.T) {
	script := `printf 'Overwrite (y/n)? '; read a; echo "got $a";` +
		`stty -echo; printf 'Password: '; read p; stty echo; echo; echo "pw len ${#p}"`
	cmd := exec.Command("sh", "-c", script)
	f, err := pty.Start(cmd)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer f.Close()
	var lines []string
	res, err := Run(t.Context(), eioAsEOF{f}, f, Options{
		Rules: []Rule{
			{Match: regexp.MustCompile(`\(y/n\)\? $`), Send: "y"},
			{Match: regexp.MustCompile(`Password: $`), Secret: "pw"},
		},
		Secret:      secrets(map[string]string{"pw": "hunter2"}),
		IdleTimeout: 10 * time.Second,
		Output:      func(l string) { lines = append(lines, l) },
		Close:       f.Close,
	})
	if err != nil {
		t.Fatalf("Run: %v (output %q)", err, lines)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("command: %v", err)
	}
	for _, want := range []string{"Overwrite (y/n)? y", "got y", "pw len 7"} {
		if !slices.Contains(lines, want) {
			t.Errorf("output %q lacks %q", lines, want)
		}
	}
	if strings.Contains(strings.Join(lines, "\n"), "hunter2") {
		t.Errorf("password echoed: %q", lines)
	}
	if res.LastLine != "pw len 7" || res.Fired[0] != 1 || res.Fired[1] != 1 {
		t.Errorf("result %+v", res)
	}
}
