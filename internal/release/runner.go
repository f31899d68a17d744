package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/transport"
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
type ConnRunner struct {
	Conn transport.Conn
}

var _ Runner = ConnRunner{}

// Run opens a session, runs script in it and closes the session.
func (c ConnRunner) Run(ctx context.Context, script string) ([]byte, error) {
	sess, err := c.Conn.NewSession(ctx)
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	defer sess.Close()
	outR, err := sess.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("stdout of session: %w", err)
	}
	errR, err := sess.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("stderr of session: %w", err)
	}
	if err := sess.Start("sh -c " + Quote(script)); err != nil {
		return nil, fmt.Errorf("start sh: %w", err)
	}
	stopWatch := interruptOnCancel(ctx, sess)
	defer stopWatch()

	var stdout, stderr bytes.Buffer
	var copies sync.WaitGroup
	copies.Go(func() { io.Copy(&stdout, outR) })
	copies.Go(func() { io.Copy(&stderr, errR) })
	copies.Wait()
	return stdout.Bytes(), scriptError(ctx, sess.Wait(), stderr.String())
}

// interruptOnCancel interrupts sess when ctx ends. The returned function
// stops the watch and waits for it.
func interruptOnCancel(ctx context.Context, sess transport.Session) (stop func()) {
	done := make(chan struct{})
	var watch sync.WaitGroup
	watch.Go(func() {
		select {
		case <-ctx.Done():
			sess.Interrupt()
		case <-done:
		}
	})
	return func() {
		close(done)
		watch.Wait()
	}
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
	if msg := tail(strings.TrimSpace(stderr)); msg != "" {
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
