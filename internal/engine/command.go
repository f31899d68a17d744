package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/transport"
)

// commandOpts tune one remote command without a PTY.
type commandOpts struct {
	timeout time.Duration // 0: none
	stdin   io.Reader     // copied to the command's stdin, then closed
	step    string        // when set, output lines are emitted as this step's output
	line    func(string)  // when set, called with every output line (after emitting)
}

// errTimeout is wrapped by the error of a step that ran out of time.
var errTimeout = errors.New("timed out")

// command runs cmd on the host in a new session and returns nil, an
// *transport.ExitError, or why it could not run. A timeout, a lost
// connection or a cancelled ctx interrupt the command; command returns
// only once its output is read.
func (hr *hostRun) command(ctx context.Context, cmd string, o commandOpts) error {
	var readers []io.Reader
	var stdin io.WriteCloser
	sess, err := hr.openSession(ctx, func(sess transport.Session) error {
		var err error
		if readers, err = hr.outputs(sess, o); err != nil {
			return err
		}
		if o.stdin != nil {
			if stdin, err = sess.StdinPipe(); err != nil {
				return fmt.Errorf("stdin of session: %w", err)
			}
		}
		if err := sess.Start(cmd); err != nil {
			return fmt.Errorf("start command: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer sess.Close()
	var wg sync.WaitGroup
	for _, r := range readers {
		wg.Go(func() { hr.readLines(r, o) })
	}
	feed := make(chan error, 1)
	if stdin != nil {
		go func() { feed <- copyClose(stdin, o.stdin) }()
	} else {
		feed <- nil
	}
	err = hr.waitCommand(ctx, sess, o.timeout)
	sess.Close()
	if pr, ok := o.stdin.(*io.PipeReader); ok {
		pr.CloseWithError(errInputUnread) // nothing waits for the rest of a piped input now
	}
	wg.Wait()
	if ferr := <-feed; err == nil && ferr != nil && !errors.Is(ferr, errInputUnread) {
		err = fmt.Errorf("send input: %w", ferr)
	}
	return err
}

// errInputUnread ends the copy of a piped input to a command that ended.
var errInputUnread = errors.New("the command ended before it read all its input")

// outputs returns the session's stdout and stderr.
func (hr *hostRun) outputs(sess transport.Session, o commandOpts) ([]io.Reader, error) {
	out, errOut, err := transport.OutputPipes(sess)
	if err != nil {
		return nil, err
	}
	return []io.Reader{out, errOut}, nil
}

// waitCommand waits for the command's end, interrupting it on timeout,
// lost connection or cancelled ctx.
func (hr *hostRun) waitCommand(ctx context.Context, sess transport.Session, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	var cause error
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		cause = context.Cause(ctx)
	case <-expired:
		cause = fmt.Errorf("%w after %s", errTimeout, timeout)
	case <-hr.h.conn.Lost():
		cause = hr.lostErr()
	}
	sess.Interrupt()
	<-done
	return cause
}

// readLines emits every line of r as output of the step, cut at maxLine.
func (hr *hostRun) readLines(r io.Reader, o commandOpts) {
	c := hr.cutter(o)
	transport.Copy(c, r)
	c.flush()
}

// output reports one output line of the host.
func (hr *hostRun) output(o commandOpts, line string) {
	if o.step == "" && o.line == nil {
		return
	}
	if o.step != "" {
		hr.tail.add(hr.s.r.em.clean(line))
		hr.s.r.em.emit(event.Event{Kind: event.StepOutput, Stage: hr.s.st.Name, Host: hr.h.name,
			Step: o.step, Undo: hr.undo, Line: line})
	}
	if o.line != nil {
		o.line(line)
	}
}

func copyClose(w io.WriteCloser, r io.Reader) error {
	_, err := transport.Copy(w, r)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// connErr says why the host cannot run a command: not connected, or the
// connection was lost.
func (hr *hostRun) connErr() error {
	if hr.h.conn == nil {
		return errors.New("not connected")
	}
	select {
	case <-hr.h.conn.Lost():
		return hr.lostErr()
	default:
		return nil
	}
}

func (hr *hostRun) lostErr() error {
	if err := hr.h.conn.Err(); err != nil && !errors.Is(err, transport.ErrLost) {
		return fmt.Errorf("%w: %v", transport.ErrLost, err)
	}
	return transport.ErrLost
}
