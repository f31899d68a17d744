package engine

import (
	"context"
	"errors"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// confirm asks the step's question with the host's last output lines.
// No skips the rest of the host's pipeline; Quit aborts the run. After the
// operator quit, confirm steps of hosts still in flight abort without
// asking.
func (hr *hostRun) confirm(ctx context.Context, st plan.Step) outcome {
	if hr.s.r.hasQuit() {
		return outcome{result: event.Aborted, err: errors.New("the run was aborted")}
	}
	a := hr.s.ask(ctx, Question{Kind: AskConfirm, Stage: hr.s.st.Name, Host: hr.h.name,
		Text: st.Arg, Tail: hr.tail.lines()})
	switch {
	case ctx.Err() != nil:
		return outcome{result: event.Interrupted, err: context.Cause(ctx)}
	case a == Yes || a == All:
		return okOutcome
	case a == No:
		return outcome{result: event.Skipped, skipHost: true}
	}
	return outcome{result: event.Aborted, err: errors.New("the operator quit")}
}
