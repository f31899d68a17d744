package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/inventory"
)

type hostsOptions struct {
	target targetOptions
	all    bool
}

func newHostsCmd(env *env) *cobra.Command {
	var opts hostsOptions
	cmd := &cobra.Command{
		Use:   "hosts [target flags]",
		Short: "print the resolved hosts and their SSH settings",
		Long: `Print every targeted host with its SSH settings and where each setting came
from (flag, target, inventory host, inventory defaults, ssh_config FILE:LINE,
default), like ssh -G, and the path to it: direct, a jump chain or a proxy
command. Settings left at their default are shown with --all. Nothing is
contacted.

ssh_config is read as ssh reads it: ~/.ssh/config, then /etc/ssh/ssh_config,
or only the file given with -F.

Examples:
  drover hosts -g web
  drover hosts -H 'web[01:03]' -u deploy
  drover hosts -H db1 -F ./ssh_config --all

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHosts(cmd.Context(), opts, env)
		},
	}
	opts.target.register(cmd.Flags())
	cmd.Flags().BoolVar(&opts.all, "all", false, "also show the settings left at their default")
	return cmd
}

func runHosts(_ context.Context, opts hostsOptions, env *env) error {
	hosts, _, err := opts.target.resolve(env, "")
	if err != nil {
		return err
	}
	for i, h := range hosts {
		if i > 0 {
			fmt.Fprintln(env.stdout)
		}
		printHost(env.stdout, h, opts.all)
	}
	return nil
}

// alwaysShown are the rows printed even at their default.
var alwaysShown = []string{
	inventory.SettingHost, inventory.SettingUser, inventory.SettingPort, inventory.SettingIdentity,
	inventory.SettingKnownHosts, inventory.SettingJump, inventory.SettingPath,
}

func printHost(w io.Writer, h inventory.Host, all bool) {
	fmt.Fprintln(w, h.Name)
	for _, r := range h.Rows() {
		if !all && r.Origin == inventory.OriginDefault && !slices.Contains(alwaysShown, r.Key) {
			continue
		}
		key, val, origin := r.Key, r.Value, ""
		if key == inventory.SettingHost {
			key = "hostname" // as ssh -G calls it
		}
		if val == "" {
			val = "-"
		}
		if r.Origin != "" {
			origin = "(" + r.Origin + ")"
		}
		fmt.Fprintf(w, "  %-24s %-40s %s\n", key, val, origin)
	}
	if len(h.Vars) > 0 {
		keys := make([]string, 0, len(h.Vars))
		for k := range h.Vars {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var vars []string
		for _, k := range keys {
			vars = append(vars, k+"="+h.Vars[k])
		}
		fmt.Fprintf(w, "  %-24s %s\n", "vars", strings.Join(vars, " "))
	}
}
