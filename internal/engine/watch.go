package engine

import (
	"context"
	"errors"

	"github.com/drover-sh/drover/internal/plan"
)

// watch follows a log file until until matches or fail_on matches or the
// timeout passes.
func (hr *hostRun) watch(ctx context.Context, st plan.Step) outcome {
	return failed(errors.New("watch: not supported yet"))
}
