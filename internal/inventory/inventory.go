// Package inventory turns an inventory (hosts, groups, ranges, per-host SSH
// settings) and the target flags of a command into the list of hosts a
// command works on, each with fully resolved connection settings.
//
// It holds the inventory model, range expansion and compression, validation
// with file positions, target selection (-g, -H, --limit, --exclude) and the
// merge of command-line flags, inventory settings, ssh_config (evaluated as
// ssh evaluates it, Match exec commands included) and built-in defaults. It
// does not read inventory.toml (package runbook decodes it and fills the
// model), does not read the process environment (callers pass the local
// user, home directory and an environment lookup in Local) and never
// connects to a host.
package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Settings are the SSH settings an inventory may give, in [defaults] or in
// [hosts."name"]. A zero field is unset.
type Settings struct {
	HostName   string // address or DNS name to dial instead of the name
	User       string
	Port       int
	Identity   string // private key file; "~/" is the local home
	KnownHosts string // known_hosts file; "~/" is the local home
	Jump       string // ProxyJump chain, "a,user@b:2222"
}

// HostEntry is one [hosts."name"] table. Its name may hold ranges
// ("web[01:04]"); the entry then applies to every expanded name.
type HostEntry struct {
	Settings
	Vars map[string]string // templates see them as .vars.NAME
	Pos  Position          // where the table starts
}

// Position is a place in a file, for messages as FILE:LINE:COL. The zero
// Position is unknown.
type Position struct {
	File      string
	Line, Col int
}

func (p Position) String() string {
	switch {
	case p.Line == 0 && p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Inventory is a decoded inventory file. Every field may be left zero; a nil
// *Inventory is an empty inventory (commands then work on -H hosts only).
type Inventory struct {
	File        string   // the file it was read from, for messages
	Defaults    Settings // [defaults]
	DefaultsPos Position

	// Persist is [defaults] persist: how long connections are kept open
	// after a command for the next one (0: not kept).
	Persist time.Duration

	// Groups holds each group's members as written: host patterns
	// ("web[01:12].example.com", "deploy@db1:2222") or "@group".
	Groups   map[string][]string
	GroupPos map[string]Position // where each group's key is written

	Hosts map[string]HostEntry // [hosts."name"], keyed by the name as written

	// Order lists names in the order of first appearance in the file
	// (groups in file order, then [hosts]); entries may be patterns or
	// "@group". It decides the order hosts are worked on. When it leaves
	// names out, the rest follow in the order of GroupPos and HostEntry.Pos.
	Order []string
}

// AllGroup is the group every inventory has unless it defines its own: all
// its hosts, in inventory order.
const AllGroup = "all"

// groupNames returns the group names sorted by position in the file, then
// by name.
func (inv *Inventory) groupNames() []string {
	names := make([]string, 0, len(inv.Groups))
	for name := range inv.Groups {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(comparePos(inv.GroupPos[a], inv.GroupPos[b]), strings.Compare(a, b))
	})
	return names
}

// hostKeys returns the [hosts] keys sorted by position, then by name.
func (inv *Inventory) hostKeys() []string {
	keys := make([]string, 0, len(inv.Hosts))
	for k := range inv.Hosts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(comparePos(inv.Hosts[a].Pos, inv.Hosts[b].Pos), strings.Compare(a, b))
	})
	return keys
}

func comparePos(a, b Position) int {
	return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
}

// Names returns every host name of the inventory once, expanded, in
// inventory order. Patterns that do not expand are left out (Validate
// reports them).
func (inv *Inventory) Names() []string {
	if inv == nil {
		return nil
	}
	var r ranking
	for _, item := range inv.Order {
		r.addItem(inv, item)
	}
	for _, g := range inv.groupNames() {
		r.addItem(inv, "@"+g)
	}
	for _, k := range inv.hostKeys() {
		r.addItem(inv, k)
	}
	return r.names
}

// ranking collects names in order of first appearance.
type ranking struct {
	names []string
	seen  map[string]bool
}

// addItem adds a pattern or the members of an "@group", recursively; cycles
// and unknown groups are skipped (Validate reports them).
func (r *ranking) addItem(inv *Inventory, item string) {
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if g, ok := strings.CutPrefix(item, "@"); ok {
		if r.seen["@"+g] {
			return
		}
		r.seen["@"+g] = true
		for _, m := range inv.Groups[g] {
			r.addItem(inv, m)
		}
		return
	}
	names, err := Expand(item)
	if err != nil {
		return
	}
	for _, n := range names {
		t, err := ParseTarget(n)
		if err != nil || r.seen[t.Host] {
			continue
		}
		r.seen[t.Host] = true
		r.names = append(r.names, t.Host)
	}
}

// GroupNames returns the inventory's group names in file order.
func (inv *Inventory) GroupNames() []string {
	if inv == nil {
		return nil
	}
	return inv.groupNames()
}

// entries maps every expanded host name of [hosts] to its entry. When two
// entries name the same host, the one written first wins (Validate reports
// the clash).
func (inv *Inventory) entries() map[string]HostEntry {
	out := map[string]HostEntry{}
	if inv == nil {
		return out
	}
	for _, key := range inv.hostKeys() {
		names, err := Expand(key)
		if err != nil {
			continue
		}
		for _, n := range names {
			if _, dup := out[n]; !dup {
				out[n] = inv.Hosts[key]
			}
		}
	}
	return out
}
