package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/release"
)

type unlockOptions struct {
	target targetOptions
	out    outputOptions
	root   string
}

func newUnlockCmd(env *env) *cobra.Command {
	var opts unlockOptions
	cmd := &cobra.Command{
		Use:   "unlock [target flags] [--root DIR]",
		Short: "remove a stale farm lock",
		Long: `Remove {root}/.drover/lock on every targeted host, for a lock left by a run
that was killed. Each removal is recorded in the host's history with who
removed it and whose lock it was. Check with drover releases first that no
run is still going.

Examples:
  drover unlock -g web
  drover unlock -g web --root /srv/shop

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUnlock(cmd.Context(), opts, env)
		},
	}
	opts.target.register(cmd.Flags())
	opts.out.register(cmd.Flags())
	cmd.Flags().StringVar(&opts.root, "root", defaultRoot, "the release root on the hosts")
	return cmd
}

func runUnlock(ctx context.Context, opts unlockOptions, env *env) error {
	f, err := connectTargets(ctx, env, opts.target, opts.out)
	if err != nil {
		return err
	}
	defer f.Close()
	who := whoami(env)
	failed := len(f.Problems) > 0
	for _, h := range f.Hosts {
		conn, ok := f.Conns[h.Name]
		if !ok {
			continue
		}
		owner, err := release.ForceUnlock(ctx, release.ConnRunner{Conn: conn}, opts.root, who)
		switch {
		case err != nil:
			failed = true
			fmt.Fprintf(env.stdout, "%s  failed: %v\n", h.Name, err)
		case owner == "":
			fmt.Fprintf(env.stdout, "%s  not locked\n", h.Name)
		default:
			if o, ok := release.ParseOwner(owner); ok {
				owner = o.String()
			}
			fmt.Fprintf(env.stdout, "%s  removed the lock of %s\n", h.Name, owner)
		}
	}
	if failed {
		return failure(errSilent)
	}
	return nil
}
