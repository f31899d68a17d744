package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/runbook"
)

func newCheckCmd(env *env) *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE...",
		Short: "validate runbooks and inventories",
		Long: `Validate runbooks and inventories strictly: unknown keys (with a suggestion),
required keys, one step kind per step, durations, regexps, batch lists,
params, secrets and templates, and, when inventories are given too, that
each runbook's target group is in them. Every problem is printed as FILE:LINE:COL:
message, sorted. Whether a file is a runbook or an inventory is told from
its tables. A FILE that does not exist may name a shipped runbook
(cutover, exec, ...). Nothing is contacted.

Examples:
  drover check cutover.toml inventory.toml
  drover check cutover inventory.toml

` + exitCodesHelp,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd.Context(), args, env)
		},
	}
}

func runCheck(_ context.Context, files []string, env *env) error {
	var all runbook.Diagnostics
	var other []error
	var c runbook.Checker
	for _, f := range files {
		name := f
		src, err := os.ReadFile(f)
		if shipped, ok := shippedSource(f, err); ok {
			name, src, err = "embedded:"+f+".toml", shipped, nil
		}
		if err != nil {
			other = append(other, err)
			continue
		}
		var ds runbook.Diagnostics
		if err := c.Add(name, src); errors.As(err, &ds) {
			all = append(all, ds...)
		} else if err != nil {
			other = append(other, fmt.Errorf("%s: %w", f, err))
		}
	}
	var ds runbook.Diagnostics
	if errors.As(c.Targets(), &ds) {
		all = append(all, ds...)
	}
	slices.SortStableFunc(all, runbook.CompareDiagnostics)
	for _, d := range all {
		fmt.Fprintln(env.stderr, d.String())
	}
	if len(all) > 0 || len(other) > 0 {
		if len(other) > 0 {
			return usageErr(errors.Join(other...))
		}
		return usageErr(errSilent)
	}
	fmt.Fprintf(env.stdout, "ok: %d file(s) valid\n", len(files))
	return nil
}
