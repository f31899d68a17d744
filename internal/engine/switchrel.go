package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/drover-sh/drover/internal/plan"
)

// switchrel switches the host's current release through Options.Releases.
func (hr *hostRun) switchrel(ctx context.Context, st plan.Step) outcome {
	rel := hr.s.r.opts.Releases
	if rel == nil {
		return failed(errors.New("switchrel: not supported yet"))
	}
	if st.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.Timeout)
		defer cancel()
	}
	note, err := rel.Switch(ctx, hr.h.name, hr.h.conn, st.Arg)
	if note != "" {
		hr.output(commandOpts{step: st.Name}, note)
	}
	if err != nil {
		return failed(fmt.Errorf("switch to %s: %w", st.Arg, err))
	}
	return okOutcome
}
