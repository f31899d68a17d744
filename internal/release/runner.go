package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/ui/safetext"
)

// Runner runs one POSIX sh script on a host and returns what it printed on
// stdout. A script that exits non-zero gives an error wrapping
// *transport.ExitError whose message includes the script's stderr; stdout is
// returned in that case too. Cancelling ctx stops the script and Run returns
// an error wrapping ctx's error.
//
// Implementations are safe for concurrent use.
type Runner interface {
	Run(ctx context.Context, script string) (stdout []byte, err error)
}

// ConnRunner runs scripts over sessions of an open connection, without a
// PTY, as `sh -c SCRIPT` whatever the login shell is. The caller owns Conn.
//
// Every script has a deadline: a host-side read can block for ever (a FIFO
// where a file should be, a hung NFS mount) while sshd keeps answering
// keepalives. When the deadline passes or ctx ends, Run interrupts and
// closes the session and returns within a second, whatever the host does.
type ConnRunner struct {
	Conn transport.Conn
	// Timeout bounds each script from opening its session to its end;
	// 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds a release script when ConnRunner.Timeout is 0:
// the scripts read a few small files, rename a link or remove old trees.
const DefaultTimeout = 2 * time.Minute

var _ Runner = ConnRunner{}

// ranScript is what a finished script left: its output and how it ended.
type ranScript struct {
	stdout []byte
	stderr string
	err    error
}

// Run opens a session, runs script in it and closes the session.
func (c ConnRunner) Run(ctx context.Context, script string) ([]byte, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("no end within %v: %w", timeout, context.DeadlineExceeded))
	defer cancel()
	sess, err := c.Conn.NewSession(ctx)
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	defer sess.Close()
	outR, errR, err := transport.OutputPipes(sess)
	if err != nil {
		return nil, err
	}
	if err := sess.Start("sh -c " + Quote(script)); err != nil {
		return nil, fmt.Errorf("start sh: %w", err)
	}
	done := make(chan ranScript, 1)
	go func() { done <- collect(sess, outR, errR) }()
	select {
	case r := <-done:
		return r.stdout, scriptError(ctx, r.err, r.stderr)
	case <-ctx.Done():
		sess.Interrupt()
		// The closed session normally ends the readers at once; a host that
		// does not answer keeps them until its connection is declared lost,
		// and Run does not wait for that.
		select {
		case <-done:
		case <-time.After(closeGrace):
		}
		return nil, fmt.Errorf("run script: %w", context.Cause(ctx))
	}
}

// closeGrace is how long Run waits for an interrupted session's readers.
const closeGrace = time.Second

// collect reads a started session's output to its end and waits for it.
func collect(sess transport.Session, outR, errR io.Reader) ranScript {
	var stdout, stderr bytes.Buffer
	var copies sync.WaitGroup
	copies.Go(func() { io.Copy(&stdout, outR) })
	copies.Go(func() { io.Copy(&stderr, errR) })
	copies.Wait()
	return ranScript{stdout: stdout.Bytes(), stderr: stderr.String(), err: sess.Wait()}
}

// scriptError turns the result of a script's Wait into Run's error.
func scriptError(ctx context.Context, waitErr error, stderr string) error {
	if waitErr == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("run script: %w", ctx.Err())
	}
	var ee *transport.ExitError
	if !errors.As(waitErr, &ee) {
		return fmt.Errorf("run script: %w", waitErr)
	}
	if msg := safetext.Line(tail(strings.TrimSpace(stderr))); msg != "" {
		return fmt.Errorf("%w: %s", waitErr, msg)
	}
	return waitErr
}

// maxStderr bounds how much of a script's stderr goes into its error.
const maxStderr = 512

// tail returns the end of s, at most maxStderr bytes, with its line breaks
// turned into "; " so the error stays one line.
func tail(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) > maxStderr {
		s = "..." + s[len(s)-maxStderr:]
	}
	return s
}
