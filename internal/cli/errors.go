package cli

import (
	"errors"
	"fmt"

	"github.com/drover-sh/drover/internal/inventory"
)

// errSilent ends a command with its code after it printed its own report.
var errSilent = errors.New("silent")

// codeError carries an exit code chosen by a command.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

func withCode(code int, err error) error { return &codeError{code: code, err: err} }

// usageErr marks err as bad usage (exit 2).
func usageErr(err error) error { return withCode(exitUsage, err) }

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
