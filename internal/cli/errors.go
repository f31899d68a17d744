package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/rollout"
)

// errSilent is the error of a command that printed its own report: Main
// prints nothing more and only the exit code tells the outcome.
var errSilent = errors.New("silent")

// outcome is the error a command ended with, classified by the type
// that embeds it; exitCode maps the types to codes.
type outcome struct{ Err error }

func (o outcome) Error() string { return o.Err.Error() }
func (o outcome) Unwrap() error { return o.Err }

// UsageError is bad usage or bad input: flags, runbook, inventory,
// params. Nothing ran.
type UsageError struct{ outcome }

// RefusedError is a run refused before it changed anything: host keys,
// gates without a terminal, hosts that disagree or lack a release.
type RefusedError struct{ outcome }

// FailedError is a run that finished or stopped with failed hosts, or a
// read of the farm that some hosts did not answer.
type FailedError struct{ outcome }

// AbortedError is a run the operator ended at a confirmation gate.
type AbortedError struct{ outcome }

// LockedError is a farm or a run held by another drover.
type LockedError struct{ outcome }

// InterruptedError is a command ended by SIGINT, SIGTERM or SIGHUP.
type InterruptedError struct{ outcome }

// Exit codes (DESIGN §2). They are chosen in exitCode only.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitAborted     = 3
	exitLocked      = 4
	exitInterrupted = 130
)

// exitCode is the one place that maps an outcome to an exit code. The
// outermost classified error of err's chain decides, so a command that
// reports a failed read of an interrupted farm as a failure exits 1.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch e.(type) {
		case *UsageError, *RefusedError:
			return exitUsage
		case *FailedError:
			return exitFailed
		case *AbortedError:
			return exitAborted
		case *LockedError:
			return exitLocked
		case *InterruptedError:
			return exitInterrupted
		}
	}
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	// An error no command classified came before any host was changed (a
	// journal that cannot be created, a shipped runbook that does not
	// parse): nothing ran.
	return exitUsage
}

// classify gives an error of package rollout the outcome of its kind;
// other errors are returned as they are.
func classify(err error) error {
	var re *rollout.Error
	if !errors.As(err, &re) {
		return err
	}
	switch re.Kind {
	case rollout.Failed:
		return failure(err)
	case rollout.Quit:
		return aborted(err)
	case rollout.Interrupted:
		return &InterruptedError{outcome{err}}
	case rollout.Invalid:
		return usageErr(err)
	case rollout.Refused:
		return refused(err)
	case rollout.Locked:
		return locked(err)
	}
	return err
}

// usageErr marks err as bad usage (exit 2).
func usageErr(err error) error { return &UsageError{outcome{err}} }

// refused marks err as a run refused before anything changed (exit 2).
func refused(err error) error { return &RefusedError{outcome{err}} }

// failure marks err as a failed run or read (exit 1).
func failure(err error) error { return &FailedError{outcome{err}} }

// aborted marks err as a run the operator aborted (exit 3).
func aborted(err error) error { return &AbortedError{outcome{err}} }

// locked marks err as a farm or run locked by another drover (exit 4).
func locked(err error) error { return &LockedError{outcome{err}} }

// interrupted is the error of a command ended by a signal (exit 130).
func interrupted(ctx context.Context) error { return &InterruptedError{outcome{context.Cause(ctx)}} }

// hinted wraps an error with a suggestion for the user.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

// withHint adds a "drover: hint:" line to err.
func withHint(err error, format string, args ...any) error {
	return &hinted{err: err, hint: fmt.Sprintf(format, args...)}
}

// hints collects every hint along err's chain, outermost first.
func hints(err error) []string {
	var out []string
	for err != nil {
		switch h := err.(type) {
		case *hinted:
			out = append(out, h.hint)
		case *inventory.HintError:
			out = append(out, h.Hint)
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			err = nil
		}
	}
	return out
}
