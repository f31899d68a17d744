package engine

import (
	"context"
	"errors"

	"github.com/drover-sh/drover/internal/plan"
)

// runPTY runs a run step that needs a PTY (expect rules, sudo, until,
// fail_on). It waits for package expect.
func (hr *hostRun) runPTY(ctx context.Context, st plan.Step) outcome {
	return failed(errors.New("expect rules, sudo, until and fail_on: not supported yet"))
}
