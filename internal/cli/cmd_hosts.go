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
}

func newHostsCmd(env *env) *cobra.Command {
	var opts hostsOptions
	cmd := &cobra.Command{
		Use:   "hosts [target flags]",
		Short: "print the resolved hosts and their SSH settings",
		Long: `Print every targeted host with its SSH settings and where each setting came
from (flag, inventory host, inventory defaults, ssh_config FILE:LINE, default),
like ssh -G. Nothing is contacted.

Examples:
  drover hosts -g web
  drover hosts -H 'web[01:03]' -u deploy

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHosts(cmd.Context(), opts, env)
		},
	}
	opts.target.register(cmd.Flags())
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
		printHost(env.stdout, h)
	}
	return nil
}

func printHost(w io.Writer, h inventory.Host) {
	ep := h.Endpoint
	fmt.Fprintln(w, h.Name)
	row := func(key, val, setting string) {
		if val == "" {
			val = "-"
		}
		origin := h.Origin[setting]
		if origin != "" {
			origin = "(" + origin + ")"
		}
		fmt.Fprintf(w, "  %-12s %-40s %s\n", key, val, origin)
	}
	row("hostname", ep.Host, inventory.SettingHost)
	row("user", ep.User, inventory.SettingUser)
	row("port", fmt.Sprint(ep.Port), inventory.SettingPort)
	row("identity", strings.Join(ep.Identities, ", "), inventory.SettingIdentity)
	row("known_hosts", strings.Join(ep.KnownHosts, ", "), inventory.SettingKnownHosts)
	var jumps []string
	for _, j := range ep.Jump {
		jumps = append(jumps, fmt.Sprintf("%s@%s", j.User, j.Addr()))
	}
	row("jump", strings.Join(jumps, ","), inventory.SettingJump)
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
		fmt.Fprintf(w, "  %-12s %s\n", "vars", strings.Join(vars, " "))
	}
}
