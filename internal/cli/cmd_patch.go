package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/rollout"
	"github.com/drover-sh/drover/internal/ui"
)

type patchOptions struct {
	target targetOptions
	out    outputOptions
	dir    string
	strip  int
	revert bool
}

func newPatchCmd(env *env) *cobra.Command {
	var opts patchOptions
	cmd := &cobra.Command{
		Use:   "patch [target flags] --dir DIR [--strip N] [--revert] PATCHFILE",
		Short: "push a patch to every host: dry-run everywhere first, then apply",
		Long: `Upload PATCHFILE to every targeted host and run patch --dry-run in DIR on
all of them. If any host would fail, nothing is changed anywhere and the
hosts that conflict are shown with patch's own words. Otherwise the patch is
applied everywhere, with backups (.orig). Hosts that already have the patch
are reported and left alone. --revert takes a patch back out the same way.

Examples:
  drover patch -g web --dir /etc/nginx fix-timeouts.diff
  drover patch -g web --dir /etc/nginx --revert fix-timeouts.diff

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPatch(cmd.Context(), opts, args[0], env)
		},
	}
	opts.target.register(cmd.Flags())
	opts.out.register(cmd.Flags())
	cmd.Flags().StringVar(&opts.dir, "dir", "", "directory on the hosts the patch applies in (required)")
	cmd.Flags().IntVar(&opts.strip, "strip", 1, "leading path components to strip (patch -p)")
	cmd.Flags().BoolVar(&opts.revert, "revert", false, "take the patch back out")
	cmd.MarkFlagRequired("dir")
	return cmd
}

func runPatch(ctx context.Context, opts patchOptions, file string, env *env) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return usageErr(err)
	}
	if _, err := os.Stat(abs); err != nil {
		return usageErr(fmt.Errorf("patch file: %w", err))
	}
	if opts.strip < 0 {
		return usageErr(fmt.Errorf("--strip %d: want 0 or more", opts.strip))
	}
	rb, err := shippedRunbook("patch.toml")
	if err != nil {
		return err
	}
	reverse := ""
	if opts.revert {
		reverse = "-R"
	}
	req := runRequest{rb: rb, target: opts.target, out: opts.out, yes: true,
		sets:     map[string]string{"patchfile": abs, "dir": opts.dir, "strip": strconv.Itoa(opts.strip), "reverse": reverse},
		precheck: func(_ context.Context, f *rollout.Farm) error { return everyHostReached(f, "patch") }}
	res, err := execute(ctx, env, req)
	if err != nil {
		return err
	}
	if !opts.out.JSON {
		ui.PatchReport(env.stdout, opts.out.style(env), res.Summary, res.events)
	}
	return codeOf(res)
}
