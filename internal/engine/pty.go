package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/expect"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// ptyTerm, ptyRows and ptyCols describe the terminal of PTY steps: a dumb
// terminal, wide enough that prompts are not wrapped.
const (
	ptyTerm = "dumb"
	ptyRows = 40
	ptyCols = 400
)

// ptyOpts is one conversation in a PTY.
type ptyOpts struct {
	cmd     string
	rules   []expect.Rule
	until   *regexp.Regexp
	failOn  *regexp.Regexp
	timeout time.Duration
	idle    time.Duration
	step    string
	hide    string // text taken out of output lines: the sudo prompt token
}

// runPTY runs a run step that needs a PTY (expect rules, sudo, until,
// fail_on) through package expect. With sudo the command runs through
// sudo -p with a unique prompt that is answered with the "sudo" secret.
func (hr *hostRun) runPTY(ctx context.Context, st plan.Step) outcome {
	o := ptyOpts{cmd: st.Arg, rules: expectRules(st.Expect), until: st.Until, failOn: st.FailOn,
		timeout: st.Timeout, idle: st.IdleTimeout, step: st.Name}
	if st.Sudo {
		token := expect.NewToken()
		o.cmd = expect.SudoCommand(token, st.Arg)
		o.rules = append(expect.SudoRules(token), o.rules...)
		o.hide = token
	}
	until, err := hr.converse(ctx, o)
	if until {
		return okOutcome
	}
	return commandOutcome(err, st.OkExit)
}

func expectRules(rules []plan.ExpectRule) []expect.Rule {
	out := make([]expect.Rule, len(rules))
	for i, r := range rules {
		out[i] = expect.Rule{Match: r.Match, Send: r.Send, Secret: r.SendSecret, Fail: r.Fail, Max: r.Max}
	}
	return out
}

// converse runs o.cmd in a PTY and answers it until it ends (its exit
// status is returned as the error, as command does) or until o.until
// matched (true). The command is interrupted (^C, then closed) when the
// conversation ends before it does, and when the connection is lost.
func (hr *hostRun) converse(ctx context.Context, o ptyOpts) (bool, error) {
	var stdin io.WriteCloser
	var stdout io.Reader
	sess, err := hr.openSession(ctx, func(sess transport.Session) error {
		var err error
		if err = sess.RequestPTY(ptyTerm, ptyRows, ptyCols); err != nil {
			return fmt.Errorf("request pty: %w", err)
		}
		if stdin, err = sess.StdinPipe(); err != nil {
			return fmt.Errorf("stdin of session: %w", err)
		}
		if stdout, err = sess.StdoutPipe(); err != nil {
			return fmt.Errorf("stdout of session: %w", err)
		}
		if err := sess.Start(o.cmd); err != nil {
			return fmt.Errorf("start command: %w", err)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	defer sess.Close()
	// The output is cut into lines here, from the stream expect reads, so
	// that a line longer than maxLine is cut as in a command without a PTY.
	cut := hr.cutter(commandOpts{step: o.step})
	cut.line = o.show(cut.line)
	cctx, stop := hr.whileConnected(ctx)
	defer stop()
	res, err := expect.Run(cctx, io.TeeReader(stdout, cut), stdin, expect.Options{Rules: o.rules, Until: o.until, FailOn: o.failOn,
		Timeout: o.timeout, IdleTimeout: o.idle, Secret: hr.secret, Close: sess.Interrupt,
	})
	cut.flush()
	waitErr := sess.Wait()
	switch {
	case err == nil && res.Until:
		return true, nil
	case err == nil:
		return false, waitErr
	case errors.Is(context.Cause(cctx), errConnLost):
		return false, hr.lostErr()
	}
	return false, err
}

// show wraps emit so that lines lose drover's own sudo prompt; a line that
// held only the prompt is dropped.
func (o ptyOpts) show(emit func(string)) func(string) {
	if o.hide == "" {
		return emit
	}
	return func(line string) {
		if strings.Contains(line, o.hide) {
			line = strings.ReplaceAll(line, o.hide, "")
			if strings.TrimSpace(line) == "" {
				return
			}
		}
		emit(line)
	}
}

// errConnLost is the cause of a context cancelled by a lost connection.
var errConnLost = errors.New("connection lost")

// whileConnected returns ctx, also cancelled when the host's connection is
// lost. stop releases the watching goroutine.
func (hr *hostRun) whileConnected(ctx context.Context) (context.Context, func()) {
	cctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-hr.h.conn.Lost():
			cancel(errConnLost)
		case <-done:
		case <-cctx.Done():
		}
	}()
	return cctx, func() {
		close(done)
		<-finished
		cancel(nil)
	}
}

// secret resolves a secret for an expect reply.
func (hr *hostRun) secret(ctx context.Context, name string) (string, error) {
	s := hr.s.r.opts.Secrets
	if s == nil {
		return "", fmt.Errorf("secret %q: no source for secrets", name)
	}
	v, err := s.Get(ctx, name)
	if err != nil {
		return "", fmt.Errorf("secret %q: %w", name, err)
	}
	return v, nil
}
