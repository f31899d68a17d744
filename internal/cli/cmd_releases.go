package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/release"
	"github.com/drover-sh/drover/internal/ui"
)

type releasesOptions struct {
	target targetOptions
	out    outputOptions
	root   string
}

const defaultRoot = "/srv/app"

func newReleasesCmd(env *env) *cobra.Command {
	var opts releasesOptions
	cmd := &cobra.Command{
		Use:   "releases [target flags] [--root DIR]",
		Short: "show which release each host runs",
		Long: `Read every targeted host's release tree and print, per host, the current
release, the previous one (from the host's history), the releases present,
the ones marked bad and a lock if a run holds one. Hosts whose current
release differs from the majority are highlighted as drift.

With --json, one object per host: host, current, previous, releases, bad,
lock, drift and error.

Examples:
  drover releases -g web
  drover releases -g web --root /srv/shop
  drover releases -g web --json | jq -r 'select(.drift) | .host'

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReleases(cmd.Context(), opts, env)
		},
	}
	opts.target.registerReach(cmd.Flags())
	opts.out.registerColor(cmd.Flags())
	cmd.Flags().BoolVar(&opts.out.JSON, "json", false, "one JSON object per host on stdout")
	cmd.Flags().StringVar(&opts.root, "root", defaultRoot, "the release root on the hosts")
	return cmd
}

func runReleases(ctx context.Context, opts releasesOptions, env *env) error {
	f, err := connectTargets(ctx, env, opts.target, opts.out)
	if err != nil {
		return err
	}
	defer f.Close()
	states, errs := release.ReadAll(ctx, f.Conns, opts.root)
	rows := ui.ReleaseRows(f.Hosts, states, errs, f.Problems, "")
	if opts.out.JSON {
		if err := ui.ReleasesJSON(env.stdout, rows); err != nil {
			return err
		}
	} else {
		ui.Releases(env.stdout, opts.out.style(env), rows)
	}
	if len(f.Problems) > 0 || len(errs) > 0 {
		return failure(errSilent)
	}
	return nil
}
