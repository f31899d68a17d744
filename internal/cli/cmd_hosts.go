package cli

import (
	"cmp"
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/rollout"
	"github.com/drover-sh/drover/internal/transport/sshx"
	"github.com/drover-sh/drover/internal/ui"
)

type hostsOptions struct {
	target  targetOptions
	all     bool
	connect bool
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
contacted, unless -v asks to connect: then each host's key is checked as in
a run (nothing runs on the host) and what the connection negotiated is shown
(key exchange, host key algorithm, cipher, MAC), or why it failed; a host
that could not be connected to makes the exit status 1.

ssh_config is read as ssh reads it: ~/.ssh/config, then /etc/ssh/ssh_config,
or only the file given with -F.

Examples:
  drover hosts -g web
  drover hosts -H 'web[01:03]' -u deploy
  drover hosts -H db1 -F ./ssh_config --all
  drover hosts -g web -v

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHosts(cmd.Context(), opts, env)
		},
	}
	opts.target.registerReach(cmd.Flags())
	cmd.Flags().BoolVar(&opts.all, "all", false, "also show the settings left at their default")
	cmd.Flags().BoolVarP(&opts.connect, "verbose", "v", false, "connect to each host and show what it negotiated")
	return cmd
}

func runHosts(ctx context.Context, opts hostsOptions, env *env) error {
	hosts, _, err := opts.target.resolve(env, "")
	if err != nil {
		return err
	}
	var found map[string][]string
	failed := 0
	if opts.connect {
		if found, failed, err = negotiate(ctx, env, &opts.target, hosts); err != nil {
			return err
		}
	}
	for i, h := range hosts {
		if i > 0 {
			fmt.Fprintln(env.stdout)
		}
		ui.Host(env.stdout, h, opts.all)
		for _, line := range found[h.Name] {
			fmt.Fprintln(env.stdout, line)
		}
	}
	if failed > 0 {
		return failure(fmt.Errorf("%d of %d hosts could not be connected to", failed, len(hosts)))
	}
	return nil
}

// negotiate connects to every host as pre-flight does and returns, per
// host, the rows saying what its connection negotiated or why it failed,
// and how many failed.
func negotiate(ctx context.Context, env *env, target *targetOptions, hosts []inventory.Host) (map[string][]string, int, error) {
	f, err := rollout.Dial{Target: target.Options, Env: env.target()}.Probe(ctx, hosts)
	if err != nil {
		return nil, 0, classify(err)
	}
	defer f.Close()
	rows := map[string][]string{}
	for name, c := range f.Conns {
		if n, ok := sshx.NegotiatedOf(c); ok {
			rows[name] = []string{ui.HostRow("kex", n.KeyExchange, "negotiated"), ui.HostRow("host_key_algorithm", n.HostKey, "negotiated"),
				ui.HostRow("cipher", n.Cipher, "negotiated"), ui.HostRow("mac", cmp.Or(n.MAC, "implicit (AEAD)"), "negotiated")}
		}
	}
	for _, pr := range f.Problems {
		rows[pr.Host] = []string{ui.HostRow("connect", ui.Sanitize(pr.Err.Error()), "failed")}
	}
	return rows, len(f.Problems), nil
}
