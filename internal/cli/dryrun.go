package cli

import (
	"fmt"

	"github.com/drover-sh/drover/internal/ui"
)

// dryRun reports what a run would do and whether every host is usable,
// without running a step.
func (p *prepared) dryRun(env *env) (*runResult, error) {
	ui.PlanOutline(env.stdout, p.plan)
	var end error
	if len(p.problems) > 0 {
		end = failure(errSilent)
	}
	fmt.Fprintf(env.stdout, "\npre-flight: %d of %d hosts connected, host keys verified\n",
		len(p.conns), len(p.hosts))
	return &runResult{plan: p.plan, problems: p.problems, runID: p.runID, err: end}, nil
}
