package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/secret"
)

// errSilent is the error of a command that printed its own report: Main
// prints nothing more and only the exit code tells the outcome.
var errSilent = errors.New("silent")

// UsageError is bad usage or bad input: flags, runbook, inventory,
// params. Nothing ran.
type UsageError struct{ Err error }

// RefusedError is a run refused before it changed anything: host keys,
// gates without a terminal, hosts that disagree or lack a release.
type RefusedError struct{ Err error }

// FailedError is a run that finished or stopped with failed hosts, or a
// read of the farm that some hosts did not answer.
type FailedError struct{ Err error }

// AbortedError is a run the operator ended at a confirmation gate.
type AbortedError struct{ Err error }

// LockedError is a farm or a run held by another drover.
type LockedError struct{ Err error }

// InterruptedError is a command ended by SIGINT, SIGTERM or SIGHUP.
type InterruptedError struct{ Err error }

func (e *UsageError) Error() string       { return e.Err.Error() }
func (e *UsageError) Unwrap() error       { return e.Err }
func (e *RefusedError) Error() string     { return e.Err.Error() }
func (e *RefusedError) Unwrap() error     { return e.Err }
func (e *FailedError) Error() string      { return e.Err.Error() }
func (e *FailedError) Unwrap() error      { return e.Err }
func (e *AbortedError) Error() string     { return e.Err.Error() }
func (e *AbortedError) Unwrap() error     { return e.Err }
func (e *LockedError) Error() string      { return e.Err.Error() }
func (e *LockedError) Unwrap() error      { return e.Err }
func (e *InterruptedError) Error() string { return e.Err.Error() }
func (e *InterruptedError) Unwrap() error { return e.Err }

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

// usageErr marks err as bad usage (exit 2).
func usageErr(err error) error { return &UsageError{Err: err} }

// refused marks err as a run refused before anything changed (exit 2).
func refused(err error) error { return &RefusedError{Err: err} }

// failure marks err as a failed run or read (exit 1).
func failure(err error) error { return &FailedError{Err: err} }

// interrupted is the error of a command ended by a signal (exit 130).
func interrupted(ctx context.Context) error { return &InterruptedError{Err: ctx.Err()} }

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
		case *secret.HintError:
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
