package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are set by the linker (see the Makefile); a binary
// built with `go install` takes them from its build information.
var (
	version = ""
	commit  = ""
)

func newVersionCmd(env *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print drover's version and commit",
		Long:  "Print drover's module version, the commit it was built from and the Go version.\n\n" + exitCodesHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(env.stdout, versionLine(buildVersion()))
			return nil
		},
	}
}

// versionLine is what `drover version` and `drover --version` print.
func versionLine(v, c string) string {
	return fmt.Sprintf("drover %s (commit %s, %s)\n", v, c, runtime.Version())
}

// buildVersion returns the module version and the commit, from the linker
// flags, else from the build information, else "devel" and "unknown".
func buildVersion() (string, string) {
	v, c := version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && c == "" && len(s.Value) >= 12 {
				c = s.Value[:12]
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}
