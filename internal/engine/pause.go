package engine

import (
	"context"
	"time"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// pause waits for the step's duration.
func (hr *hostRun) pause(ctx context.Context, st plan.Step) outcome {
	if !wait(ctx, st.Pause) {
		return outcome{result: event.Interrupted, err: context.Cause(ctx)}
	}
	return okOutcome
}

// wait waits for d and reports whether it did (false: ctx was cancelled).
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
