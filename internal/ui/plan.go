package ui

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
)

// PlanOutline prints a plan's stages with their batches, hosts and gates,
// as drover plan and drover run --dry-run show it.
func PlanOutline(w io.Writer, pl *plan.Plan) {
	names := hostNames(pl)
	fmt.Fprintf(w, "runbook %s (%s): %s %s\n", pl.Name, pl.File, plural(len(names), "host"), inventory.Compress(names))
	for _, st := range pl.Stages {
		fmt.Fprintf(w, "\nstage %s: parallel %d, max_fail %s, gate %s%s\n",
			st.Name, st.Parallel, thresholdString(st.MaxFail), gateString(st.Gate), undoString(st))
		for i, batch := range batchNames(st, names) {
			fmt.Fprintf(w, "  batch %d: %s\n", i+1, inventory.Compress(batch))
		}
	}
}

// hostNames is the plan's hosts by name, in order.
func hostNames(pl *plan.Plan) []string {
	names := make([]string, len(pl.Hosts))
	for i, h := range pl.Hosts {
		names[i] = h.Name
	}
	return names
}

// batchNames is the stage's batches of the plan's host names.
func batchNames(st plan.Stage, names []string) [][]string {
	var out [][]string
	for _, b := range plan.Batches(st.Batches, len(names)) {
		batch := make([]string, len(b))
		for j, idx := range b {
			batch[j] = names[idx]
		}
		out = append(out, batch)
	}
	return out
}

// PlanHost prints the plan's params and every step rendered for host,
// with the undo steps of each stage. Secrets show as asterisks.
func PlanHost(w io.Writer, pl *plan.Plan, host string) {
	if len(pl.Params) > 0 {
		fmt.Fprintf(w, "\nparams:\n")
		for _, k := range slices.Sorted(maps.Keys(pl.Params)) {
			fmt.Fprintf(w, "  %s = %q\n", k, pl.Params[k])
		}
	}
	fmt.Fprintf(w, "\nsteps on %s:\n", host)
	for _, st := range pl.Stages {
		fmt.Fprintf(w, "  stage %s\n", st.Name)
		planSteps(w, "    ", st.StepsFor(host))
		if undo := st.UndoFor(host); len(undo) > 0 {
			fmt.Fprintf(w, "    undo on abort:\n")
			planSteps(w, "      ", undo)
		}
	}
}

func planSteps(w io.Writer, indent string, steps []plan.Step) {
	for i, s := range steps {
		fmt.Fprintf(w, "%s%d. %s", indent, i+1, s.Name)
		if s.Sudo {
			fmt.Fprint(w, " [sudo]")
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%s   %s %s", indent, s.Kind, s.Arg)
		if s.To != "" {
			fmt.Fprintf(w, " -> %s", s.To)
		}
		fmt.Fprintln(w)
		planConditions(w, indent, s)
		for _, r := range s.Expect {
			fmt.Fprintf(w, "%s   expect %q: %s\n", indent, r.Match, replyString(r))
		}
	}
}

// planConditions prints when a step is skipped, succeeds or fails early.
func planConditions(w io.Writer, indent string, s plan.Step) {
	if s.SkipIf != "" {
		fmt.Fprintf(w, "%s   skip if: %s\n", indent, s.SkipIf)
	}
	if s.Until != nil {
		fmt.Fprintf(w, "%s   until: %s\n", indent, s.Until)
	}
	if s.FailOn != nil {
		fmt.Fprintf(w, "%s   fail on: %s\n", indent, s.FailOn)
	}
}

// replyString says what an expect rule does when it matches.
func replyString(r plan.ExpectRule) string {
	switch {
	case r.SendSecret != "":
		return "send secret " + r.SendSecret + " (********)"
	case r.Fail != "":
		return "fail " + fmt.Sprintf("%q", r.Fail)
	}
	return fmt.Sprintf("send %q", r.Send)
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

// PlanLoadBalancers lists, for drover plan, the load balancers haproxy
// steps act on together and each host's server there.
func PlanLoadBalancers(w io.Writer, pl *plan.Plan) {
	if len(pl.HAProxy) == 0 {
		return
	}
	fmt.Fprintf(w, "\nload balancers (haproxy steps act on each):\n")
	for _, lb := range pl.HAProxy {
		via := ""
		if lb.Via != "" {
			via = " via " + lb.Via
		}
		fmt.Fprintf(w, "  %s%s\n", lb.Name(), via)
		for _, h := range pl.Hosts {
			fmt.Fprintf(w, "    %s -> server %s/%s\n", h.Name, lb.Backend, lb.Servers[h.Name])
		}
	}
}
