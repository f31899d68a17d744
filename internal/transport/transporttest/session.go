package transporttest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// started is a session whose command runs, with its output collected.
type started struct {
	s      transport.Session
	stdin  io.WriteCloser
	stdout *output
	stderr *output // nil with a PTY
}

// start opens a session on conn and starts cmd, with a PTY if pty is set.
func start(t *testing.T, conn transport.Conn, cmd string, pty bool) *started {
	t.Helper()
	s, err := conn.NewSession(testContext(t))
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if pty {
		if err := s.RequestPTY("xterm", 24, 80); err != nil {
			t.Fatalf("request pty: %v", err)
		}
	}
	st := &started{s: s}
	if st.stdin, err = s.StdinPipe(); err != nil {
		t.Fatalf("stdin pipe: %v", err)
	}
	stdout, err := s.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	st.stdout = collect(stdout)
	if !pty {
		stderr, err := s.StderrPipe()
		if err != nil {
			t.Fatalf("stderr pipe: %v", err)
		}
		st.stderr = collect(stderr)
	}
	if err := s.Start(cmd); err != nil {
		t.Fatalf("start %q: %v", cmd, err)
	}
	return st
}

// wait runs Wait in the background and returns its result, failing the
// test if it does not return within Timeout.
func (st *started) wait(t *testing.T) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- st.s.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(Timeout):
		t.Fatal("Wait did not return")
		return nil
	}
}

func testExitCodes(t *testing.T, tg Target) {
	conn := dial(t, tg.Dialer, tg.Login)
	for _, code := range []int{0, 1, 42} {
		t.Run(fmt.Sprintf("exit%d", code), func(t *testing.T) {
			st := start(t, conn, fmt.Sprintf("exit %d", code), false)
			st.stdin.Close()
			err := st.wait(t)
			if got := transport.ExitCode(err); got != code {
				t.Fatalf("exit code = %d (err %v), want %d", got, err, code)
			}
			var ee *transport.ExitError
			if code != 0 && !errors.As(err, &ee) {
				t.Fatalf("err = %T %v, want *transport.ExitError", err, err)
			}
		})
	}
}

func testKilledBySignal(t *testing.T, tg Target) {
	conn := dial(t, tg.Dialer, tg.Login)
	st := start(t, conn, "kill -TERM $$; sleep 5", false)
	st.stdin.Close()
	err := st.wait(t)
	var ee *transport.ExitError
	if !errors.As(err, &ee) || ee.Signal != "TERM" || ee.Code != -1 {
		t.Fatalf("wait = %#v (%v), want *transport.ExitError{Code: -1, Signal: \"TERM\"}", err, err)
	}
}

func testStdin(t *testing.T, tg Target) {
	conn := dial(t, tg.Dialer, tg.Login)
	st := start(t, conn, "cat; echo done", false)
	if _, err := io.WriteString(st.stdin, "hello\nworld\n"); err != nil {
		t.Fatalf("write stdin: %v", err)
	}
	st.stdin.Close()
	if err := st.wait(t); err != nil {
		t.Fatalf("wait: %v", err)
	}
	if got, want := st.stdout.all(t), "hello\nworld\ndone\n"; got != want {
		t.Fatalf("stdout = %q, want %q", got, want)
	}
}

func testSeparateStreams(t *testing.T, tg Target) {
	conn := dial(t, tg.Dialer, tg.Login)
	st := start(t, conn, "echo out; echo err >&2; exit 3", false)
	st.stdin.Close()
	if err := st.wait(t); transport.ExitCode(err) != 3 {
		t.Fatalf("wait = %v, want exit 3", err)
	}
	if got := st.stdout.all(t); got != "out\n" {
		t.Errorf("stdout = %q, want %q", got, "out\n")
	}
	if got := st.stderr.all(t); got != "err\n" {
		t.Errorf("stderr = %q, want %q", got, "err\n")
	}
}

func testPTYPrompt(t *testing.T, tg Target) {
	conn := dial(t, tg.Dialer, tg.Login)
	st := start(t, conn, `printf 'Name? '; read name; echo "hello, $name."`, true)
	st.stdout.waitFor(t, "Name? ")
	if _, err := io.WriteString(st.stdin, "drover\n"); err != nil {
		t.Fatalf("answer the prompt: %v", err)
	}
	st.stdout.waitFor(t, "hello, drover.")
	if err := st.wait(t); err != nil {
		t.Fatalf("wait: %v", err)
	}
}

// interruptCase starts a long sleep on ep, interrupts it and checks that
// Wait returns and the process is gone from the host.
func interruptCase(t *testing.T, tg Target, ep transport.Endpoint, pty bool, seconds int) {
	conn := dial(t, tg.Dialer, ep)
	cmd := fmt.Sprintf("sleep %d", seconds)
	st := start(t, conn, cmd, pty)
	eventually(t, cmd+" to run", func() bool { return tg.Count(t, cmd) == 1 })
	if err := st.s.Interrupt(); err != nil {
		t.Fatalf("interrupt: %v", err)
	}
	if err := st.wait(t); err == nil {
		t.Fatal("wait returned nil after an interrupt")
	}
	eventually(t, cmd+" to end", func() bool { return tg.Count(t, cmd) == 0 })
}

func testInterruptPTY(t *testing.T, tg Target) {
	interruptCase(t, tg, tg.Login, true, 6001)
}

func testInterruptPTYRoot(t *testing.T, tg Target) {
	if tg.Root == nil {
		t.Skip("no root login")
	}
	interruptCase(t, tg, *tg.Root, true, 6002)
}

func testInterruptSignal(t *testing.T, tg Target) {
	interruptCase(t, tg, tg.Login, false, 6003)
}

// testCloseDuringWait closes a session whose command runs on a PTY: Wait
// returns and the hung-up command ends.
func testCloseDuringWait(t *testing.T, tg Target) {
	conn := dial(t, tg.Dialer, tg.Login)
	const cmd = "sleep 6004"
	st := start(t, conn, cmd, true)
	eventually(t, cmd+" to run", func() bool { return tg.Count(t, cmd) == 1 })
	done := make(chan error, 1)
	go func() { done <- st.s.Wait() }()
	if err := st.s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("wait returned nil after Close")
		}
	case <-time.After(Timeout):
		t.Fatal("Wait did not return after Close")
	}
	eventually(t, cmd+" to end", func() bool { return tg.Count(t, cmd) == 0 })
}

func testConnClose(t *testing.T, tg Target) {
	conn, err := tg.Dialer.Dial(testContext(t), tg.Login)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	select {
	case <-conn.Lost():
		t.Fatal("Lost closed on a fresh connection")
	default:
	}
	if err := conn.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case <-conn.Lost():
	case <-time.After(Timeout):
		t.Fatal("Lost not closed after Close")
	}
	if err := conn.Err(); err != nil {
		t.Fatalf("Err after an orderly Close = %v, want nil", err)
	}
	if _, err := conn.NewSession(testContext(t)); err == nil {
		t.Fatal("NewSession on a closed connection succeeded")
	}
}

func testParallelSessions(t *testing.T, tg Target) {
	conn := dial(t, tg.Dialer, tg.Login)
	const n = 8 // OpenSSH's MaxSessions defaults to 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- echoOnce(conn, i) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// echoOnce runs "echo i" on its own session and checks the answer.
func echoOnce(conn transport.Conn, i int) error {
	ctx, cancel := contextWithTimeout()
	defer cancel()
	s, err := conn.NewSession(ctx)
	if err != nil {
		return fmt.Errorf("session %d: %w", i, err)
	}
	defer s.Close()
	out, err := s.StdoutPipe()
	if err != nil {
		return fmt.Errorf("session %d: %w", i, err)
	}
	if err := s.Start(fmt.Sprintf("echo session-%d", i)); err != nil {
		return fmt.Errorf("session %d: %w", i, err)
	}
	b, err := io.ReadAll(out)
	if err != nil {
		return fmt.Errorf("session %d: read: %w", i, err)
	}
	if err := s.Wait(); err != nil {
		return fmt.Errorf("session %d: wait: %w", i, err)
	}
	if got, want := strings.TrimSpace(string(b)), fmt.Sprintf("session-%d", i); got != want {
		return fmt.Errorf("session %d: output %q, want %q", i, got, want)
	}
	return nil
}
