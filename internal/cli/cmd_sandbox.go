package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/sshtest"
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

// sandbox is a running local farm with its inventory written.
type sandbox struct {
	farm      *sshtest.Farm
	dir       string
	inventory string
	temp      bool
}

// startSandbox starts n hosts named web01.. under dir (a new temporary
// directory when empty) and writes known_hosts and the inventory.
func startSandbox(ctx context.Context, n int, dir, inventoryOut string) (*sandbox, error) {
	if n < 1 || n > 500 {
		return nil, usageErr(fmt.Errorf("sandbox size %d: want 1 to 500 hosts", n))
	}
	sb := &sandbox{dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "drover-sandbox-")
		if err != nil {
			return nil, fmt.Errorf("create sandbox directory: %w", err)
		}
		sb.dir, sb.temp = d, true
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("web%02d", i+1)
	}
	farm, err := sshtest.Start(ctx, sshtest.Options{Names: names, Dir: filepath.Join(sb.dir, "hosts")})
	if err != nil {
		sb.remove()
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	sb.farm = farm
	kh := filepath.Join(sb.dir, "known_hosts")
	sb.inventory = inventoryOut
	if sb.inventory == "" {
		sb.inventory = filepath.Join(sb.dir, "inventory.toml")
	}
	if err := farm.KnownHosts(kh); err != nil {
		sb.close()
		return nil, err
	}
	if err := farm.Inventory(sb.inventory, kh); err != nil {
		sb.close()
		return nil, err
	}
	return sb, nil
}

func (sb *sandbox) close() {
	sb.farm.Close()
	sb.remove()
}

func (sb *sandbox) remove() {
	if sb.temp {
		os.RemoveAll(sb.dir)
	}
}

func runSandbox(ctx context.Context, opts sandboxOptions, env *env) error {
	sb, err := startSandbox(ctx, opts.Hosts, opts.Dir, opts.InventoryOut)
	if err != nil {
		return err
	}
	defer sb.close()
	fmt.Fprintf(env.stdout, "sandbox: %d hosts on 127.0.0.1 under %s\n", len(sb.farm.Hosts), sb.dir)
	for _, h := range sb.farm.Hosts {
		fmt.Fprintf(env.stdout, "  %s  %s:%d  %s\n", h.Name, h.Addr, h.Port, h.Dir)
	}
	fmt.Fprintf(env.stdout, "\ninventory: %s\ntry:       drover exec -i %s -g web -- 'pwd; id -un'\n\nCtrl-C stops the sandbox.\n",
		sb.inventory, sb.inventory)
	<-ctx.Done()
	fmt.Fprintln(env.stdout, "sandbox: stopped")
	return nil
}
