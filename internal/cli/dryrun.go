package cli

import (
	"fmt"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
)

// dryRun reports what a run would do and whether every host is usable,
// without running a step.
func (p *prepared) dryRun(env *env) (*runResult, error) {
	writePlanOutline(env, p.plan)
	var outcome error
	if len(p.problems) > 0 {
		outcome = failure(errSilent)
	}
	fmt.Fprintf(env.stdout, "\npre-flight: %d of %d hosts connected, host keys verified\n",
		len(p.conns), len(p.hosts))
	return &runResult{plan: p.plan, problems: p.problems, runID: p.runID, err: outcome}, nil
}

// writePlanOutline prints the stages with their batches, hosts and gates.
func writePlanOutline(env *env, pl *plan.Plan) {
	names := make([]string, len(pl.Hosts))
	for i, h := range pl.Hosts {
		names[i] = h.Name
	}
	fmt.Fprintf(env.stdout, "runbook %s (%s): %s %s\n", pl.Name, pl.File, plural(len(names), "host"), inventory.Compress(names))
	for _, st := range pl.Stages {
		fmt.Fprintf(env.stdout, "\nstage %s: parallel %d, max_fail %s, gate %s%s\n",
			st.Name, st.Parallel, thresholdString(st.MaxFail), gateString(st.Gate), undoString(st))
		for i, b := range plan.Batches(st.Batches, len(names)) {
			batch := make([]string, len(b))
			for j, idx := range b {
				batch[j] = names[idx]
			}
			fmt.Fprintf(env.stdout, "  batch %d: %s\n", i+1, inventory.Compress(batch))
		}
	}
}

func thresholdString(t plan.Threshold) string {
	if t.IsPercent {
		return fmt.Sprintf("%g%%", t.Percent)
	}
	return fmt.Sprint(t.Count)
}

func gateString(g plan.Gate) string {
	if g == "" {
		return string(plan.GateNone)
	}
	return string(g)
}

func undoString(st plan.Stage) string {
	if st.UndoOnAbort {
		return ", undo on abort"
	}
	return ""
}

// plural is "1 host", "2 hosts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
