package engine

import (
	"context"

	"github.com/drover-sh/drover/internal/plan"
)

// run runs a run step: without a PTY its stdout and stderr lines are the
// step's output; with expect rules, sudo, until or fail_on it goes through
// a PTY (see pty.go).
func (hr *hostRun) run(ctx context.Context, st plan.Step) outcome {
	if st.NeedsPTY() {
		return hr.runPTY(ctx, st)
	}
	err := hr.plain(ctx, st.Arg, commandOpts{timeout: st.Timeout, step: st.Name})
	return commandOutcome(err, st.OkExit)
}
