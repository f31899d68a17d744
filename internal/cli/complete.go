package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/journal"
	"github.com/drover-sh/drover/runbooks"
)

// Shell completion that knows the farm: -g completes the inventory's
// groups, -H its hosts, run and plan the shipped runbooks and *.toml files,
// --set the runbook's params, switchrel the releases of recent runs. Every
// answer comes from local files (the inventory the command line names, the
// runbook, the journal): completing never opens a connection.

// registerCompletions adds the completion functions to every command of
// root that has the flags or arguments they complete.
func registerCompletions(root *cobra.Command, env *env) {
	for _, cmd := range root.Commands() {
		if cmd.Flags().Lookup("group") != nil {
			cmd.RegisterFlagCompletionFunc("group", completeGroups(env))
			cmd.RegisterFlagCompletionFunc("hosts", completeHosts(env))
		}
		switch cmd.Name() {
		case "run", "plan":
			cmd.ValidArgsFunction = completeRunbooks
			cmd.RegisterFlagCompletionFunc("set", completeSets)
		case "switchrel":
			cmd.ValidArgsFunction = completeReleases(env)
		}
	}
}

// completionTarget is the target flags of the command line being
// completed, as far as finding its inventory needs (-i, else
// $DROVER_INVENTORY, else ./inventory.toml).
func completionTarget(cmd *cobra.Command) targetOptions {
	var o targetOptions
	if f := cmd.Flags().Lookup("inventory"); f != nil {
		o.Inventory = f.Value.String()
	}
	return o
}

func completeGroups(env *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		o := completionTarget(cmd)
		inv, err := o.LoadInventory(env.target())
		if err != nil || inv == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return withPrefix(groupNames(inv), toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// groupNames are the inventory's groups in file order, and "all", which
// every inventory has.
func groupNames(inv *inventory.Inventory) []string {
	names := inv.GroupNames()
	if !slices.Contains(names, "all") {
		names = append(names, "all")
	}
	return names
}

// completeHosts completes the last name of a comma list.
func completeHosts(env *env) cobra.CompletionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		o := completionTarget(cmd)
		inv, err := o.LoadInventory(env.target())
		if err != nil || inv == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		head, last := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			head, last = toComplete[:i+1], toComplete[i+1:]
		}
		var out []string
		for _, n := range withPrefix(inv.Names(), last) {
			out = append(out, head+n)
		}
		for _, g := range withPrefix(groupNames(inv), strings.TrimPrefix(last, "@")) {
			if strings.HasPrefix(last, "@") {
				out = append(out, head+"@"+g)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// completeRunbooks offers the shipped runbooks and the *.toml files and
// directories that start with what was typed.
func completeRunbooks(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, n := range runbooks.Names() {
		out = append(out, strings.TrimSuffix(n, ".toml"))
	}
	out = withPrefix(out, toComplete)
	directive := cobra.ShellCompDirectiveNoFileComp
	matches, _ := filepath.Glob(toComplete + "*")
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			out = append(out, m+"/")
			directive |= cobra.ShellCompDirectiveNoSpace
		} else if strings.HasSuffix(m, ".toml") {
			out = append(out, m)
		}
	}
	return out, directive
}

// completeSets offers NAME= for every param of the runbook named first.
func completeSets(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	rb, err := loadRunbook(args[0])
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for _, p := range rb.Params() {
		names = append(names, p.Name+"=")
	}
	return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeReleases offers "previous" and the releases named by the recent
// runs in the journal, newest first.
func completeReleases(env *env) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		out := []string{"previous"}
		runs, _ := journal.List(stateDir(env))
		for i, r := range runs {
			if i == 20 {
				break
			}
			if rel := r.Params["release"]; rel != "" && !slices.Contains(out, rel) {
				out = append(out, rel)
			}
		}
		return withPrefix(out, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func withPrefix(items []string, prefix string) []string {
	var out []string
	for _, it := range items {
		if strings.HasPrefix(it, prefix) {
			out = append(out, it)
		}
	}
	return out
}
