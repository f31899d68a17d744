// Package expect answers a command's interactive prompts, Expect style, over
// the io.Reader and io.Writer of a session that the caller opened.
//
// Run reads the command's output, hands every line to Options.Output, and
// matches the recent output against the step's rules: a rule sends its reply
// (a fixed string or a secret resolved when the prompt shows up) or fails the
// run; Until ends the run as a success, FailOn as a failure. Run reports a
// prompt nobody answers as a *StuckError once the output has been idle for
// Options.IdleTimeout, and gives up with a *TimeoutError after
// Options.Timeout in any case.
//
// Run does not open, wait for or close sessions, does not know SSH or the
// runbook format, and does not redact the lines it hands to Output: the
// caller does, as it is the one that writes them anywhere.
//
// # Matching, and why goexpect sees only a window
//
// The conversation runs on github.com/google/goexpect (SpawnGeneric over a
// reader and writer owned by this package): its ExpectSwitchCase picks the
// rule that matches and its send loop writes the replies. Left to itself,
// goexpect matches every rule against all output since the previous match,
// again each time a few bytes arrive; megabytes of output before the next
// prompt would make that quadratic. So goexpect never reads the session.
// Run reads it on its own goroutine (output that arrives while Run is busy
// is taken in one piece) and feeds goexpect one bounded window at a time:
// at most 8 KiB of new output plus the last two lines (at most 8 KiB) of
// output that no match consumed yet. goexpect's case list ends with a case
// that matches anything, so it answers at once and keeps nothing between
// windows; for the same reason PartialMatch stays off, and Run keeps the
// unmatched rest itself. The cost of matching is therefore linear in the
// output, a prompt split across reads is still seen whole, and bytes
// consumed by one match never fire a rule again. The price: a rule's regexp
// sees only the output since the previous match, and of that only the
// current and the previous line reliably, so a pattern spanning three or
// more lines may be missed.
//
// goexpect logs through the standard log package and, when verbose, prints
// what it sends; Run keeps Verbose off, gives goexpect a writer that never
// fails, a Check that never fails, and an output that reports EOF only
// after Run is done with it, so none of its logging paths is taken, and
// none of them could carry a secret.
package expect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// Rule answers or rejects a prompt.
type Rule struct {
	Match  *regexp.Regexp // matched against recent output
	Send   string         // reply; "\n" is added
	Secret string         // name of a secret to reply with, resolved through Options.Secret at match time
	Fail   string         // a match fails the run with this message
	Max    int            // how often the rule may fire; 0 means 1
	// Refused, when set, is the failure reported when the rule would fire
	// more than Max times (the prompt came back: the answer was refused).
	// When empty, that case is reported as a *StuckError.
	Refused string
}

// max returns how often the rule may fire.
func (r Rule) max() int { return max(r.Max, 1) }

// Options configure one Run. The zero value answers nothing and waits for
// EOF without any time limit.
//
// On each window of output, FailOn is tried first, then Until, then the
// rules in order; the first of them that matches anywhere in the window
// acts, and the output after its match is tried again.
type Options struct {
	Rules       []Rule
	Until       *regexp.Regexp // a match ends the run as success
	FailOn      *regexp.Regexp // a match ends the run as failure
	Timeout     time.Duration  // whole deadline (0 = none)
	IdleTimeout time.Duration  // a prompt (an unfinished line) shown this long with no output and no rule fired -> *StuckError (0 = none)
	SendTimeout time.Duration  // how long writing one reply may take (0 = 10s)
	// Secret resolves a secret by name; it is called when a rule with
	// Secret fires, and may block (to ask on a terminal).
	Secret func(ctx context.Context, name string) (string, error)
	// Output receives every output line as it completes (and the last
	// partial line at the end), CR/LF stripped, in order, on Run's
	// goroutine. The caller redacts.
	Output func(line string)
	// CutLine, when set, says where a line too long to hand over whole
	// (64 KiB) may be cut so that no secret is split between two lines, as
	// redact.Redactor.SafeCut does; the rest starts the next line.
	CutLine func(line string) int
	// Close, when set, is called when Run ends before EOF of r (Until, a
	// failure, a timeout, cancellation) so that blocked reads of r and
	// writes to w return, typically by closing the session; Run then waits
	// for all its goroutines. Without it, a goroutine blocked in a Read of r
	// ends at the first Read that returns after Run.
	Close func() error
}

// Result describes how a Run ended.
type Result struct {
	Until    bool        // ended by Until
	LastLine string      // the last non-empty line of output, secrets masked
	Fired    map[int]int // rule index -> how often it fired
}

// Default limits.
const (
	defaultSendTimeout = 10 * time.Second
	readSize           = 32 << 10
	// matchSize is the most new output matched in one window. Go's regexp
	// is faster on small inputs (it can backtrack instead of simulating an
	// NFA), and output read ahead is matched in pieces of this size.
	matchSize = 8 << 10
)

// errDeadline is the cause of the context that carries Options.Timeout.
var errDeadline = errors.New("expect deadline")

// Run converses with a command whose output is r and whose input is w,
// until r reaches EOF (nil error; the caller then waits for the exit
// status), Until matches (nil error, Result.Until), or one of: a fail rule
// or FailOn matched (*FailError), the output went idle (*StuckError), the
// deadline passed (*TimeoutError), ctx was cancelled (ctx.Err()).
func Run(ctx context.Context, r io.Reader, w io.Writer, opts Options) (Result, error) {
	if err := opts.validate(); err != nil {
		return Result{}, err
	}
	runCtx, cancel := withDeadline(ctx, opts.Timeout)
	defer cancel()
	c, err := newConversation(opts, w)
	if err != nil {
		return Result{}, err
	}
	src := startReader(r)
	res, err := c.loop(runCtx, src)
	c.finish(src, err != nil || res.Until)
	if errors.Is(err, context.DeadlineExceeded) && context.Cause(runCtx) == errDeadline && ctx.Err() == nil {
		err = &TimeoutError{After: opts.Timeout, LastLine: res.LastLine}
	}
	return res, err
}

// withDeadline returns ctx limited to d (when d > 0) with errDeadline as cause.
func withDeadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, errDeadline)
}

func (o Options) validate() error {
	for i, r := range o.Rules {
		if r.Match == nil {
			return fmt.Errorf("expect rule %d: no match pattern", i)
		}
		if r.Secret != "" && o.Secret == nil {
			return fmt.Errorf("expect rule %d: secret %q but no way to resolve secrets", i, r.Secret)
		}
	}
	return nil
}
