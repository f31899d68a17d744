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

Examples:
  drover releases -g web
  drover releases -g web --root /srv/shop

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReleases(cmd.Context(), opts, env)
		},
	}
	opts.target.register(cmd.Flags())
	opts.out.register(cmd.Flags())
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
	ui.Releases(env.stdout, opts.out.style(env), ui.ReleaseRows(f.Hosts, states, errs, f.Problems, ""))
	if len(f.Problems) > 0 || len(errs) > 0 {
		return failure(errSilent)
	}
	return nil
}
