package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/runbook"
	"github.com/drover-sh/drover/internal/ui"
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
	rb, sets, err := loadWithSets(file, opts.sets)
	if err != nil {
		return err
	}
	hosts, inv, err := opts.target.resolve(env, rb.Target())
	if err != nil {
		return err
	}
	pl, err := rb.Plan(runbook.Options{Sets: sets, Hosts: hosts, RunID: "RUN-ID", Now: time.Now(), HostPos: inv.HostPositions(hosts),
		Overrides: opts.target.overrides(plan.Overrides{})})
	if err != nil {
		return usageErr(err)
	}
	host := opts.host
	if host == "" {
		host = pl.Hosts[0].Name
	} else if !hasHost(pl, host) {
		return usageErr(fmt.Errorf("--host %s is not among the targeted hosts", host))
	}
	ui.PlanOutline(env.stdout, pl)
	ui.PlanLoadBalancers(env.stdout, pl)
	ui.PlanHost(env.stdout, pl, host)
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
