package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/journal"
	"github.com/drover-sh/drover/internal/release"
)

type unlockOptions struct {
	target targetOptions
	out    outputOptions
	root   string
	force  bool
}

func newUnlockCmd(env *env) *cobra.Command {
	var opts unlockOptions
	cmd := &cobra.Command{
		Use:   "unlock [target flags] [--root DIR] [--force]",
		Short: "remove a stale farm lock",
		Long: `Remove {root}/.drover/lock on every targeted host, for a lock left by a run
that was killed. Each removal is recorded in the host's history with who
removed it and whose lock it was. A lock whose run is still going in a
drover on this machine is left alone (exit 4) unless --force is given;
check with drover releases that no run is going elsewhere.

Examples:
  drover unlock -g web
  drover unlock -g web --root /srv/shop

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUnlock(cmd.Context(), opts, env)
		},
	}
	opts.target.registerReach(cmd.Flags())
	opts.out.registerColor(cmd.Flags())
	cmd.Flags().StringVar(&opts.root, "root", defaultRoot, "the release root on the hosts")
	cmd.Flags().BoolVar(&opts.force, "force", false, "remove even the lock of a run still going on this machine")
	return cmd
}

// pidText names a drover by its pid, when known.
func pidText(pid int) string {
	if pid <= 0 {
		return "(pid unknown)"
	}
	return fmt.Sprintf("pid %d", pid)
}

func runUnlock(ctx context.Context, opts unlockOptions, env *env) error {
	f, err := connectTargets(ctx, env, opts.target, opts.out)
	if err != nil {
		return err
	}
	defer f.Close()
	who := whoami(env)
	failed, leftAlone := len(f.Problems) > 0, false
	var states map[string]release.State // read only when a run is going here
	going := journal.GoingRuns(stateDir(env))
	if len(going) > 0 && !opts.force {
		states, _ = release.ReadAll(ctx, f.Conns, opts.root)
	}
	for _, h := range f.Hosts {
		conn, ok := f.Conns[h.Name]
		if !ok {
			continue
		}
		if l := states[h.Name].Lock; l != nil {
			if pid, ok := going[l.RunID]; ok {
				leftAlone = true
				fmt.Fprintf(env.stdout, "%s  left alone: run %s is still going in drover %s on this machine\n", h.Name, l.RunID, pidText(pid))
				continue
			}
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
	switch {
	case leftAlone:
		return locked(withHint(errors.New("a run that holds the lock is still going"),
			"let it end, or stop it; --force removes its lock anyway"))
	case failed:
		return failure(errSilent)
	}
	return nil
}
