package expect

import (
	"context"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/drover-sh/drover/internal/redact"
)

// conversation is the state of one Run; it lives on Run's goroutine.
type conversation struct {
	opts    Options
	m       *matcher
	lines   lineLog
	win     window
	fired   map[int]int
	secrets *redact.Redactor // secrets sent so far, masked in errors and results
	idle    *time.Timer      // nil without IdleTimeout
}

func newConversation(opts Options, w io.Writer) (*conversation, error) {
	send := opts.SendTimeout
	if send <= 0 {
		send = defaultSendTimeout
	}
	var m *matcher // nil: nothing to match, as in a plain PTY step
	if ts := targets(opts); len(ts) > 0 {
		var err error
		if m, err = newMatcher(ts, w, send); err != nil {
			return nil, err
		}
	}
	c := &conversation{
		opts:    opts,
		m:       m,
		lines:   lineLog{output: opts.Output},
		fired:   map[int]int{},
		secrets: redact.New(),
	}
	c.lines.cut = c.cutLine
	if opts.IdleTimeout > 0 {
		c.idle = time.NewTimer(opts.IdleTimeout)
	}
	return c, nil
}

// cutLine is where a line too long to hand over whole is cut: never inside
// a secret, neither one sent in this conversation nor one of Options.CutLine.
func (c *conversation) cutLine(s string) int {
	n := c.secrets.SafeCut(s)
	if c.opts.CutLine != nil {
		n = min(n, c.opts.CutLine(s))
	}
	return n
}

// loop takes output until the conversation ends.
func (c *conversation) loop(ctx context.Context, src *source) (Result, error) {
	for {
		select {
		case <-src.ready:
			chunk, ended, readErr := src.take()
			if until, err := c.output(ctx, chunk); until || err != nil {
				return c.end(until, err)
			}
			if ended {
				return c.end(false, readError(readErr))
			}
		case <-c.idleC():
			if !c.lines.prompting() {
				// Silent after a whole line: working, not waiting.
				c.resetIdle()
				continue
			}
			return c.end(false, &StuckError{Prompt: c.secrets.String(c.lines.last())})
		case <-ctx.Done():
			return c.end(false, ctx.Err())
		}
	}
}

func readError(err error) error {
	if err != nil {
		return fmt.Errorf("read command output: %w", err)
	}
	return nil
}

// output takes a piece of output: lines for Output, then the rules.
func (c *conversation) output(ctx context.Context, chunk []byte) (bool, error) {
	if len(chunk) == 0 {
		return false, nil
	}
	c.lines.write(chunk)
	c.resetIdle()
	for len(chunk) > 0 {
		n := min(len(chunk), matchSize)
		if until, err := c.take(ctx, chunk[:n]); until || err != nil {
			return until, err
		}
		chunk = chunk[n:]
	}
	return false, nil
}

// end hands over the last partial line and builds the result.
func (c *conversation) end(until bool, err error) (Result, error) {
	c.lines.flush()
	return Result{
		Until:    until,
		LastLine: c.secrets.String(c.lines.last()),
		Fired:    maps.Clone(c.fired),
	}, err
}

// take matches a new chunk, with the carried window, until nothing more
// matches; it reports whether Until matched.
func (c *conversation) take(ctx context.Context, chunk []byte) (bool, error) {
	if c.m == nil {
		return false, nil
	}
	text := c.win.text(chunk)
	for text != "" {
		i, loc, err := c.m.match(ctx, text)
		if err != nil {
			return false, err
		}
		if i < 0 {
			c.win.keep(text)
			return false, nil
		}
		if until, err := c.act(ctx, c.m.targets[i], text, loc); until || err != nil {
			return until, err
		}
		text = text[loc[1]:]
	}
	c.win.keep("")
	return false, nil
}

// act does what a match of t means.
func (c *conversation) act(ctx context.Context, t target, text string, loc []int) (bool, error) {
	switch t.kind {
	case kindFailOn:
		return false, c.failure(t, -1, "", text, loc)
	case kindUntil:
		return true, nil
	}
	r := c.opts.Rules[t.rule]
	switch {
	case r.Fail != "":
		return false, c.failure(t, t.rule, r.Fail, text, loc)
	case c.fired[t.rule] >= r.max() && r.Refused != "":
		return false, c.failure(t, t.rule, r.Refused, text, loc)
	case c.fired[t.rule] >= r.max():
		return false, &StuckError{Prompt: c.secrets.String(c.lines.last())}
	}
	return false, c.fire(ctx, t.rule)
}

func (c *conversation) failure(t target, rule int, msg, text string, loc []int) error {
	return &FailError{
		Rule:    rule,
		Pattern: t.re.String(),
		Line:    c.secrets.String(lineAround(text, loc)),
		Msg:     msg,
	}
}

// fire sends rule i's reply.
func (c *conversation) fire(ctx context.Context, i int) error {
	reply, err := c.reply(ctx, c.opts.Rules[i])
	if err != nil {
		return fmt.Errorf("expect rule %d: %w", i, err)
	}
	if err := c.m.send(ctx, reply+"\n"); err != nil {
		return fmt.Errorf("expect rule %d: %w", i, err)
	}
	c.fired[i]++
	c.resetIdle()
	return nil
}

// reply returns the text a rule sends, resolving its secret now.
func (c *conversation) reply(ctx context.Context, r Rule) (string, error) {
	if r.Secret == "" {
		return r.Send, nil
	}
	v, err := c.opts.Secret(ctx, r.Secret)
	if err != nil {
		return "", fmt.Errorf("resolve secret %q: %w", r.Secret, err)
	}
	c.secrets.Add(v)
	return v, nil
}

func (c *conversation) resetIdle() {
	if c.idle != nil {
		c.idle.Reset(c.opts.IdleTimeout)
	}
}

func (c *conversation) idleC() <-chan time.Time {
	if c.idle == nil {
		return nil
	}
	return c.idle.C
}

// finish ends the goroutines of the run. early says Run ended before EOF
// of the output: then Options.Close unblocks the reader, and without it the
// reader is left to end at its next Read.
func (c *conversation) finish(src *source, early bool) {
	if c.idle != nil {
		c.idle.Stop()
	}
	src.stopChunks()
	if early && c.opts.Close != nil {
		_ = c.opts.Close() // the caller learns about the session from Wait
	}
	if c.m != nil {
		c.m.close()
	}
	if !early || c.opts.Close != nil {
		src.wait()
	}
}
