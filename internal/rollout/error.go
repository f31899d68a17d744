package rollout

import (
	"context"
	"errors"
	"fmt"

	"github.com/drover-sh/drover/internal/inventory"
)

// Kind is how a run ended, or why it did not start.
type Kind int

const (
	OK          Kind = iota // every host finished
	Failed                  // hosts failed, or the run stopped after it may have changed some
	Quit                    // the operator quit at a gate
	Interrupted             // a signal ended it
	Invalid                 // bad input (runbook, params, inventory, secrets, the run to resume): nothing ran
	Refused                 // the farm is not fit to run on (host keys, no one to answer gates, too many hosts): nothing ran
	Locked                  // another drover holds the run or the farm: nothing ran
)

// Error is an error that ended a run, with its Kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// errEnded is the error of a finished run that did not end OK; the
// summary says why.
var errEnded = errors.New("the run did not end OK")

func invalid(err error) error { return &Error{Kind: Invalid, Err: err} }
func refused(err error) error { return &Error{Kind: Refused, Err: err} }
func failed(err error) error  { return &Error{Kind: Failed, Err: err} }
func locked(err error) error  { return &Error{Kind: Locked, Err: err} }

// interrupted is the error of a run ended by ctx.
func interrupted(ctx context.Context) error {
	return &Error{Kind: Interrupted, Err: context.Cause(ctx)}
}

// hinted adds a suggestion for the person running drover to err.
func hinted(err error, format string, args ...any) error {
	return &inventory.HintError{Err: err, Hint: fmt.Sprintf(format, args...)}
}

// isInterrupt reports whether err ended a run because of a signal: the
// outermost Kind says so, or, without one, a cancelled context.
func isInterrupt(err error) bool {
	var re *Error
	if errors.As(err, &re) {
		return re.Kind == Interrupted
	}
	return errors.Is(err, context.Canceled)
}
