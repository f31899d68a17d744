package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/runbook"
)

type planOptions struct {
	target targetOptions
	sets   []string
	host   string
}

func newPlanCmd(env *env) *cobra.Command {
	var opts planOptions
	cmd := &cobra.Command{
		Use:   "plan RUNBOOK [target flags] [--set k=v]... [--host NAME]",
		Short: "show what a run would do, contacting no host",
		Long: `Resolve a runbook for its targets and print the batches in order with their
hosts, the gates, and every step rendered for one host (--host, default the
first). Secrets are never shown. No host is contacted.

Examples:
  drover plan cutover.toml -g web --set source=./app.tar.gz
  drover plan cutover.toml -g web --set source=./app.tar.gz --host web07

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd.Context(), opts, args[0], env)
		},
	}
	opts.target.register(cmd.Flags())
	registerSets(cmd.Flags(), &opts.sets)
	cmd.Flags().StringVar(&opts.host, "host", "", "render the steps for this host (default: the first)")
	return cmd
}

func runPlan(_ context.Context, opts planOptions, file string, env *env) error {
	rb, err := loadRunbook(file)
	if err != nil {
		return err
	}
	sets, err := parseSets(opts.sets)
	if err != nil {
		return err
	}
	hosts, inv, err := opts.target.resolve(env, rb.Target())
	if err != nil {
		return err
	}
	pl, err := rb.Plan(runbook.Options{Sets: sets, Hosts: hosts, RunID: "RUN-ID", Now: time.Now(), HostPos: hostPositions(inv, hosts)})
	if err != nil {
		return usageErr(err)
	}
	if err := applyOverrides(pl, opts.target); err != nil {
		return err
	}
	host := opts.host
	if host == "" {
		host = pl.Hosts[0].Name
	} else if !hasHost(pl, host) {
		return usageErr(fmt.Errorf("--host %s is not among the targeted hosts", host))
	}
	writePlanOutline(env, pl)
	writeParams(env.stdout, pl)
	writeLBs(env.stdout, pl)
	fmt.Fprintf(env.stdout, "\nsteps on %s:\n", host)
	for _, st := range pl.Stages {
		fmt.Fprintf(env.stdout, "  stage %s\n", st.Name)
		writeSteps(env.stdout, "    ", st.StepsFor(host))
		if undo := st.UndoFor(host); len(undo) > 0 {
			fmt.Fprintf(env.stdout, "    undo on abort:\n")
			writeSteps(env.stdout, "      ", undo)
		}
	}
	return nil
}

func hasHost(pl *plan.Plan, name string) bool {
	for _, h := range pl.Hosts {
		if h.Name == name {
			return true
		}
	}
	return false
}

func writeParams(w io.Writer, pl *plan.Plan) {
	if len(pl.Params) == 0 {
		return
	}
	fmt.Fprintf(w, "\nparams:\n")
	for _, k := range sortedKeys(pl.Params) {
		fmt.Fprintf(w, "  %s = %q\n", k, pl.Params[k])
	}
}

func writeSteps(w io.Writer, indent string, steps []plan.Step) {
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
		if s.SkipIf != "" {
			fmt.Fprintf(w, "%s   skip if: %s\n", indent, s.SkipIf)
		}
		if s.Until != nil {
			fmt.Fprintf(w, "%s   until: %s\n", indent, s.Until)
		}
		if s.FailOn != nil {
			fmt.Fprintf(w, "%s   fail on: %s\n", indent, s.FailOn)
		}
		for _, r := range s.Expect {
			reply := fmt.Sprintf("send %q", r.Send)
			switch {
			case r.SendSecret != "":
				reply = "send secret " + r.SendSecret + " (********)"
			case r.Fail != "":
				reply = "fail " + fmt.Sprintf("%q", r.Fail)
			}
			fmt.Fprintf(w, "%s   expect %q: %s\n", indent, r.Match, reply)
		}
	}
}
