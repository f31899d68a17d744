package release

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// execConn is a transport.Conn whose sessions run commands with the local
// sh, the way a host's login shell would, in dir ("" is the current
// directory), so that hosts with a relative root each have their own tree.
type execConn struct{ dir string }

func (c execConn) NewSession(context.Context) (transport.Session, error) {
	return &execSession{dir: c.dir}, nil
}
func (execConn) ForwardRemote(context.Context, string, string) (io.Closer, error) {
	return nil, errors.New("not supported")
}
func (execConn) Lost() <-chan struct{} { return nil }
func (execConn) Err() error            { return nil }
func (execConn) Close() error          { return nil }

type execSession struct {
	dir        string
	cmd        *exec.Cmd
	outR, errR *os.File
	outW, errW *os.File
}

func (s *execSession) RequestPTY(string, int, int) error { return errors.New("no pty") }
func (s *execSession) StdinPipe() (io.WriteCloser, error) {
	return nil, errors.New("no stdin")
}

func (s *execSession) StdoutPipe() (io.Reader, error) {
	var err error
	s.outR, s.outW, err = os.Pipe()
	return s.outR, err
}

func (s *execSession) StderrPipe() (io.Reader, error) {
	var err error
	s.errR, s.errW, err = os.Pipe()
	return s.errR, err
}

func (s *execSession) Start(cmd string) error {
	s.cmd = exec.Command("sh", "-c", cmd)
	s.cmd.Stdout, s.cmd.Stderr, s.cmd.Dir = s.outW, s.errW, s.dir
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err := s.cmd.Start()
	s.outW.Close() // the child holds its own copies; EOF comes when it ends
	s.errW.Close()
	return err
}

func (s *execSession) Wait() error {
	err := s.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &transport.ExitError{Code: -1, Signal: "KILL"}
		}
		return &transport.ExitError{Code: ee.ExitCode()}
	}
	return err
}

func (s *execSession) Interrupt() error {
	return syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
}

func (s *execSession) Close() error {
	s.outR.Close()
	s.errR.Close()
	return nil
}

// runner runs scripts with the local sh through ConnRunner.
var runner Runner = ConnRunner{Conn: execConn{}}

// newRoot returns a release root whose name needs every kind of quoting, with
// the given releases present.
func newRoot(t *testing.T, releases ...string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), `it's a "root" $HOME `+"`x` $(touch pwned) \\")
	for _, id := range releases {
		mkRelease(t, root, id)
	}
	return root
}

func mkRelease(t *testing.T, root, id string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, "releases", id), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestConnRunner(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		wantOut  string
		wantCode int
		wantMsg  string
	}{
		{name: "stdout", script: "echo hello", wantOut: "hello\n"},
		{name: "quotes in script", script: `printf '%s\n' "it's" '"q"'`, wantOut: "it's\n\"q\"\n"},
		{name: "exit status and stderr", script: "echo partial; echo boom >&2; exit 4",
			wantOut: "partial\n", wantCode: 4, wantMsg: "exit 4: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runner.Run(t.Context(), tt.script)
			if string(out) != tt.wantOut {
				t.Errorf("stdout = %q, want %q", out, tt.wantOut)
			}
			if got := transport.ExitCode(err); got != tt.wantCode {
				t.Errorf("exit code = %d (%v), want %d", got, err, tt.wantCode)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestConnRunnerCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := runner.Run(ctx, "sleep 30")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Run returned after %v, want soon after cancel", d)
	}
}

func TestConnRunnerStderr(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   string
	}{
		{name: "lines joined", script: "echo one >&2; echo two >&2; exit 1", want: "exit 1: one; two"},
		{name: "no stderr", script: "exit 2", want: "exit 2"},
		{name: "long stderr keeps the end",
			script: "i=0; while [ $i -lt 200 ]; do echo line$i >&2; i=$((i+1)); done; exit 1",
			want:   "line198; line199"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runner.Run(t.Context(), tt.script)
			if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to end with %q", err, tt.want)
			}
			if n := len(err.Error()); n > maxStderr+20 {
				t.Errorf("error is %d bytes long", n)
			}
		})
	}
}
