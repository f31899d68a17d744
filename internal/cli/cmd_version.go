package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func newVersionCmd(env *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print drover's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(env.stdout, "drover %s%s\n", version, buildCommit())
			return nil
		},
	}
}

// buildCommit returns " (commit abc123)" when the binary knows its commit.
func buildCommit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return " (commit " + s.Value[:12] + ")"
		}
	}
	return ""
}
