package ui

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/drover-sh/drover/internal/inventory"
)

// HostRow formats one setting row of drover hosts.
func HostRow(key, val, origin string) string {
	if origin != "" {
		origin = "(" + origin + ")"
	}
	return fmt.Sprintf("  %-24s %-40s %s", key, val, origin)
}

// alwaysShown are the rows printed even at their default.
var alwaysShown = []string{
	inventory.SettingHost, inventory.SettingUser, inventory.SettingPort, inventory.SettingIdentity,
	inventory.SettingKnownHosts, inventory.SettingJump, inventory.SettingPath,
}

// Host writes, for drover hosts, h's settings and where each came from;
// all adds those left at their default.
func Host(w io.Writer, h inventory.Host, all bool) {
	fmt.Fprintln(w, h.Name)
	for _, r := range h.Rows() {
		if !all && r.Origin == inventory.OriginDefault && !slices.Contains(alwaysShown, r.Key) {
			continue
		}
		key, val := r.Key, r.Value
		if key == inventory.SettingHost {
			key = "hostname" // as ssh -G calls it
		}
		if val == "" {
			val = "-"
		}
		fmt.Fprintln(w, HostRow(key, val, r.Origin))
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
