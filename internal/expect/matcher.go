package expect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"time"

	goexpect "github.com/google/goexpect"
)

// targetKind says what a match of a target means.
type targetKind int

const (
	kindFailOn targetKind = iota
	kindUntil
	kindRule
)

// target is one pattern the output is matched against, in priority order.
type target struct {
	kind targetKind
	rule int // index in Options.Rules, for kindRule
	re   *regexp.Regexp
}

// targets lists FailOn, Until and the rules, in the order they are tried on
// each window: a failure wins over success, success over answering.
func targets(opts Options) []target {
	var ts []target
	if opts.FailOn != nil {
		ts = append(ts, target{kind: kindFailOn, re: opts.FailOn})
	}
	if opts.Until != nil {
		ts = append(ts, target{kind: kindUntil, re: opts.Until})
	}
	for i, r := range opts.Rules {
		ts = append(ts, target{kind: kindRule, rule: i, re: r.Match})
	}
	return ts
}

// anything matches every window; as the last case it makes goexpect return
// at once when no target matched.
var anything = regexp.MustCompile(`\A`)

// matcher runs goexpect on windows of output and sends replies through it.
// It is used from one goroutine.
type matcher struct {
	exp         *goexpect.GExpect
	ended       <-chan error
	feed        *feed
	in          *replyWriter
	targets     []target
	cases       []goexpect.Caser // fresh per Run: goexpect mutates cases
	sendTimeout time.Duration
	pending     bool // a reply write has not reported back
	largest     int  // longest window matched so far
}

func newMatcher(ts []target, w io.Writer, sendTimeout time.Duration) (*matcher, error) {
	m := &matcher{
		feed:        newFeed(),
		in:          &replyWriter{w: w, done: make(chan error, 1)},
		targets:     ts,
		sendTimeout: sendTimeout,
	}
	for _, t := range ts {
		m.cases = append(m.cases, &goexpect.Case{R: t.re})
	}
	m.cases = append(m.cases, &goexpect.Case{R: anything})
	exp, ended, err := goexpect.SpawnGeneric(&goexpect.GenOptions{
		In:    m.in,
		Out:   m.feed,
		Wait:  m.feed.wait,
		Close: func() error { return nil },
		Check: alive,
	}, time.Hour,
		goexpect.Verbose(false),
		goexpect.PartialMatch(false),
		goexpect.SendTimeout(sendTimeout),
		goexpect.CheckDuration(50*time.Millisecond),
		goexpect.BufferSize(matchSize+maxCarry),
	)
	if err != nil {
		return nil, fmt.Errorf("start expecter: %w", err)
	}
	m.exp, m.ended = exp, ended
	return m, nil
}

// match returns the first target (in priority order) that matches text and
// where, or -1 when none does.
func (m *matcher) match(ctx context.Context, text string) (int, []int, error) {
	m.largest = max(m.largest, len(text))
	if err := m.feed.push(ctx, text); err != nil {
		return -1, nil, err
	}
	seen, _, i, err := m.exp.ExpectSwitchCase(m.cases, time.Minute)
	if err != nil {
		return -1, nil, fmt.Errorf("match output: %w", err)
	}
	if seen != text {
		return -1, nil, errors.New("match output: expecter saw a different window")
	}
	if i >= len(m.targets) {
		return -1, nil, nil
	}
	return i, m.targets[i].re.FindStringIndex(text), nil
}

// send writes text to the command and waits until it was written.
func (m *matcher) send(ctx context.Context, text string) error {
	if err := m.exp.Send(text); err != nil {
		return fmt.Errorf("hand reply to the session: %w", err)
	}
	m.pending = true
	t := time.NewTimer(m.sendTimeout)
	defer t.Stop()
	select {
	case err := <-m.in.done:
		m.pending = false
		if err != nil {
			return fmt.Errorf("write reply: %w", err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("write reply: not written within %s", m.sendTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close ends goexpect's goroutines. It waits for them unless a reply write
// is still blocked, which ends only when the caller closes the session.
func (m *matcher) close() {
	m.feed.close()
	if !m.pending {
		<-m.ended
	}
}

// replyWriter is goexpect's input: it never fails towards goexpect (whose
// send loop would log and stop), and reports each write's outcome to send.
type replyWriter struct {
	w    io.Writer
	done chan error // one result per write
}

func (r *replyWriter) Write(p []byte) (int, error) {
	_, err := r.w.Write(p)
	r.done <- err
	return len(p), nil
}

func (r *replyWriter) Close() error { return nil }

// feed is goexpect's output: it delivers one window per push, and reports
// to push when goexpect has buffered all of it (goexpect reads again only
// after it buffered what it read before).
type feed struct {
	windows   chan string
	ack       chan struct{} // one per delivered window
	rest      string        // part of a window not yet read
	delivered bool          // a window was read and not yet acknowledged
	done      chan struct{}
	once      sync.Once
}

func newFeed() *feed {
	return &feed{
		windows: make(chan string),
		ack:     make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
}

// Read is called by goexpect's reader goroutine only.
func (f *feed) Read(p []byte) (int, error) {
	if f.rest == "" && f.delivered {
		f.delivered = false
		select {
		case f.ack <- struct{}{}:
		default:
		}
	}
	if f.rest == "" {
		w, ok := <-f.windows
		if !ok {
			f.once.Do(func() { close(f.done) })
			return 0, io.EOF
		}
		f.rest, f.delivered = w, true
	}
	n := copy(p, f.rest)
	f.rest = f.rest[n:]
	return n, nil
}

// push hands text to goexpect and waits until it is buffered.
func (f *feed) push(ctx context.Context, text string) error {
	select {
	case f.windows <- text:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-f.ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close ends the output goexpect sees; push must not be called after it.
func (f *feed) close() { close(f.windows) }

// alive is goexpect's Check: always true. goexpect's goroutines end on the
// feed's EOF and Wait instead; a Check that turned false when the feed
// closed made goexpect log "Write failed" for a reply written just before
// (it checks after each write).
func alive() bool { return true }

// wait is goexpect's Wait: it returns once the output has ended.
func (f *feed) wait() error {
	<-f.done
	return nil
}
