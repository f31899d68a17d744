package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/target"
	"github.com/drover-sh/drover/internal/transport/persist"
)

func newDisconnectCmd(env *env) *cobra.Command {
	return &cobra.Command{
		Use:   "disconnect",
		Short: "close the connections --persist keeps open",
		Long: `Close every connection that --persist (or persist in the inventory's
[defaults]) keeps open for the next command, now, and end the background
process that holds them. Without it they close on their own once no
command has used them for the persist time.

Examples:
  drover exec -g web --persist 60s -- uptime
  drover disconnect

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := persist.Disconnect(cmd.Context(), persist.Dir(env.getenv))
			if err != nil {
				return err
			}
			switch n {
			case 0:
				fmt.Fprintln(env.stdout, "no connections kept")
			case 1:
				fmt.Fprintln(env.stdout, "closed 1 kept connection")
			default:
				fmt.Fprintf(env.stdout, "closed %d kept connections\n", n)
			}
			return nil
		},
	}
}

// newKeeperCmd is the hidden command --persist starts in the background:
// the connection keeper (persist.Serve).
func newKeeperCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    target.KeeperCommand + " --dir DIR",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return persist.Serve(dir)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "the keeper's directory")
	cmd.MarkFlagRequired("dir")
	return cmd
}
