package engine

import (
	"errors"
	"fmt"
	"slices"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// outcome is how one attempt of a step ended.
type outcome struct {
	result   event.Result
	exit     *int  // exit status of the step's command, when it ran one
	err      error // why it failed
	skipHost bool  // a confirm answered No: the rest of the pipeline is skipped
}

var okOutcome = outcome{result: event.OK}

func failed(err error) outcome { return outcome{result: event.Failed, err: err} }

// commandOutcome judges a command's end: its exit status is checked
// against ok_exit (default [0]); other errors fail the step.
func commandOutcome(err error, okExit []int) outcome {
	code := exitCode(err)
	if code < 0 {
		return failed(err)
	}
	o := outcome{result: event.OK, exit: &code}
	if len(okExit) == 0 {
		okExit = []int{0}
	}
	if !slices.Contains(okExit, code) {
		o.result = event.Failed
		if err == nil {
			err = &transport.ExitError{Code: code}
		}
		o.err = err
	}
	return o
}

// exitCode is the exit status carried by err: 0 for nil, the status of a
// remote or local command, -1 for any other error.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *transport.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return -1
}

// failNote is the summary note of a failed step: `exit 1 in "restart"`,
// `connection lost`, or the error and the step.
func failNote(o outcome, st plan.Step) string {
	switch {
	case o.err == nil:
		return fmt.Sprintf("failed in %q", st.Name)
	case errors.Is(o.err, transport.ErrLost):
		return "connection lost"
	case o.exit != nil && *o.exit > 0:
		return fmt.Sprintf("exit %d in %q", *o.exit, st.Name)
	}
	return fmt.Sprintf("%v in %q", o.err, st.Name)
}

// note is the summary note of a step that ended the pipeline otherwise.
func (o outcome) note(st plan.Step) string {
	switch o.result {
	case event.Interrupted:
		return fmt.Sprintf("interrupted in %q", st.Name)
	case event.Aborted:
		return fmt.Sprintf("aborted at %q", st.Name)
	}
	return failNote(o, st)
}
