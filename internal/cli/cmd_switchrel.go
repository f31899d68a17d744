package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/release"
	"github.com/drover-sh/drover/internal/rollout"
	"github.com/drover-sh/drover/internal/ui"
)

type switchrelOptions struct {
	target  targetOptions
	out     outputOptions
	root    string
	restart string
	yes     bool
	perHost bool
}

func newSwitchrelCmd(env *env) *cobra.Command {
	var opts switchrelOptions
	cmd := &cobra.Command{
		Use:   "switchrel RELEASE|previous [target flags] [--root DIR] [--restart CMD] [--per-host] [--yes]",
		Short: "switch every host to a release, or back to the previous one",
		Long: `Switch {root}/current on every targeted host to releases/RELEASE, one host at
a time, restarting the app after each switch when --restart is given.

"previous" is the release each host ran before its last switch, read from
the host's history; the release rolled back from is marked bad, so a second
"previous" does not return to it. Before any host switches, every host is
read: all must have the target release, and for "previous" all must agree
on what it is (else the table is shown and nothing changes; --per-host lets
each host go back to its own previous release). A table shows which host
runs what before and after.

Examples:
  drover switchrel previous -g web --yes
  drover switchrel 2026-11-21 -g web --restart 'sudo -n systemctl restart app'

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSwitchrel(cmd.Context(), opts, args[0], env)
		},
	}
	opts.target.register(cmd.Flags())
	opts.out.register(cmd.Flags())
	cmd.Flags().StringVar(&opts.root, "root", defaultRoot, "the release root on the hosts")
	cmd.Flags().StringVar(&opts.restart, "restart", "", "command that restarts the app after each switch")
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask before switching")
	cmd.Flags().BoolVar(&opts.perHost, "per-host", false, "with previous: let each host go back to its own previous release")
	return cmd
}

func runSwitchrel(ctx context.Context, opts switchrelOptions, id string, env *env) error {
	if id != release.Previous {
		if err := release.CheckID(id); err != nil {
			return usageErr(fmt.Errorf("release %q: %w", id, err))
		}
	}
	rb, err := shippedRunbook("switchrel.toml")
	if err != nil {
		return err
	}
	var before map[string]release.State
	req := runRequest{
		rb: rb, target: opts.target, out: opts.out, yes: opts.yes,
		sets: map[string]string{"release": id, "restart": opts.restart, "root": opts.root},
		precheck: func(ctx context.Context, f *rollout.Farm) error {
			var err error
			before, err = checkSwitch(ctx, env, f, opts, id)
			return err
		},
		after: func(ctx context.Context, f *rollout.Farm) {
			after, errs := release.ReadAll(ctx, f.Conns, opts.root)
			rows := ui.ReleaseRows(f.Hosts, after, errs, f.Problems, f.RunID)
			for i := range rows {
				rows[i].Before = before[rows[i].Host].Current
			}
			fmt.Fprintln(env.stdout)
			ui.Releases(env.stdout, opts.out.style(env), rows)
		},
	}
	res, err := execute(ctx, env, req)
	if err != nil {
		return err
	}
	return codeOf(res)
}

// checkSwitch reads every host before the first switch; package release
// decides whether they may switch. A refusal shows the table.
func checkSwitch(ctx context.Context, env *env, f *rollout.Farm, opts switchrelOptions, id string) (map[string]release.State, error) {
	if err := everyHostReached(f, "switchrel"); err != nil {
		return nil, err
	}
	states, errs := release.ReadAll(ctx, f.Conns, opts.root)
	if ctx.Err() != nil {
		return nil, interrupted(ctx)
	}
	for _, h := range f.Hosts {
		if err := errs[h.Name]; err != nil {
			return nil, failure(fmt.Errorf("read releases on %s: %w", h.Name, err))
		}
	}
	err := release.CheckSwitch(states, id, opts.perHost)
	if err == nil {
		return states, nil
	}
	ui.Releases(env.stderr, ui.NewStyle(env.stderr, opts.out.color(env)), ui.ReleaseRows(f.Hosts, states, errs, f.Problems, f.RunID))
	if errors.Is(err, release.ErrDisagree) {
		err = withHint(err, "switch to a named release, or let each host go back to its own with --per-host")
	}
	return nil, refused(err)
}
