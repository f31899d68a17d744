package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/sandbox"
)

type sandboxOptions struct {
	Hosts        int
	Dir          string
	InventoryOut string
}

func newSandboxCmd(env *env) *cobra.Command {
	var opts sandboxOptions
	cmd := &cobra.Command{
		Use:   "sandbox [-n 6] [--inventory-out FILE]",
		Short: "start a throwaway local farm to try runbooks on",
		Long: `Start N in-process SSH hosts on 127.0.0.1, each with its own directory as
HOME and working directory, write an inventory and a private known_hosts for
them, and stay in the foreground until Ctrl-C. It needs no root and no sshd.
Commands run as you, inside each host's directory, so relative paths such as
--set root=app land in that host's own tree.

Examples:
  drover sandbox -n 4 --inventory-out /tmp/sandbox.toml
  drover exec -i /tmp/sandbox.toml -g web -- 'pwd; date'

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSandbox(cmd.Context(), opts, env)
		},
	}
	cmd.Flags().IntVarP(&opts.Hosts, "hosts", "n", 6, "number of hosts")
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "directory for the hosts (default: a new temporary directory)")
	cmd.Flags().StringVar(&opts.InventoryOut, "inventory-out", "", "where to write the inventory (default DIR/inventory.toml)")
	return cmd
}

// startSandbox starts n hosts named web01.. under dir (a new temporary
// directory when empty) and writes known_hosts and the inventory.
func startSandbox(ctx context.Context, n int, dir, inventoryOut string) (*sandbox.Sandbox, error) {
	if n < 1 || n > 500 {
		return nil, usageErr(fmt.Errorf("sandbox size %d: want 1 to 500 hosts", n))
	}
	return sandbox.Start(ctx, sandbox.Options{Hosts: n, Dir: dir, InventoryOut: inventoryOut})
}

func runSandbox(ctx context.Context, opts sandboxOptions, env *env) error {
	sb, err := startSandbox(ctx, opts.Hosts, opts.Dir, opts.InventoryOut)
	if err != nil {
		return err
	}
	defer sb.Close()
	fmt.Fprintf(env.stdout, "sandbox: %d hosts on 127.0.0.1 under %s\n", len(sb.Farm.Hosts), sb.Dir)
	for _, h := range sb.Farm.Hosts {
		fmt.Fprintf(env.stdout, "  %s  %s:%d  %s\n", h.Name, h.Addr, h.Port, h.Dir)
	}
	fmt.Fprintf(env.stdout, "\ninventory: %s\ntry:       drover exec -i %s -g web -- 'pwd; id -un'\n\nCtrl-C stops the sandbox.\n",
		sb.Inventory, sb.Inventory)
	<-ctx.Done()
	fmt.Fprintln(env.stdout, "sandbox: stopped")
	return nil
}
