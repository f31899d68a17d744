package runbook

import (
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/drover-sh/drover/internal/inventory"
)

// ParseInventory decodes an inventory file strictly into the model of
// package inventory and validates it (inventory.Validate). name is the file
// name used in diagnostics and kept as Inventory.File. Every problem is
// returned as Diagnostics.
func ParseInventory(name string, src []byte) (*inventory.Inventory, error) {
	d, doc, err := decodeTOML(name, src)
	if err != nil {
		return nil, err
	}
	inv := d.inventory(doc)
	for _, e := range inventory.Validate(inv) {
		d.diags = append(d.diags, fromInventoryError(name, e))
	}
	if err := d.diags.sorted(); err != nil {
		return nil, err
	}
	return inv, nil
}

// fromInventoryError turns a problem found by inventory.Validate into a
// Diagnostic.
func fromInventoryError(file string, err error) Diagnostic {
	var pe *inventory.PosError
	if !errors.As(err, &pe) {
		return Diagnostic{File: file, Msg: err.Error()}
	}
	if pe.Pos.File != "" {
		file = pe.Pos.File
	}
	return Diagnostic{File: file, Line: pe.Pos.Line, Col: pe.Pos.Col, Msg: pe.Msg}
}

func (d *decoder) inventory(t *table) *inventory.Inventory {
	inv := &inventory.Inventory{
		File:     d.file,
		Groups:   map[string][]string{},
		GroupPos: map[string]inventory.Position{},
		Hosts:    map[string]inventory.HostEntry{},
	}
	if dt := d.sub(t, "defaults", "[defaults]"); dt != nil {
		inv.Defaults = d.settings(dt)
		inv.DefaultsPos = d.position(dt.path)
		inv.Persist = d.persist(dt)
		d.finish(dt)
	}
	d.groups(t, inv)
	for _, ht := range d.named(t, "hosts", "hosts") {
		name := ht.path[len(ht.path)-1]
		e := inventory.HostEntry{Settings: d.settings(ht), Pos: d.position(ht.path)}
		e.Vars = d.stringMap(ht, "vars")
		d.finish(ht)
		inv.Hosts[name] = e
	}
	inv.Order = inventoryOrder(inv)
	d.finish(t)
	return inv
}

// position converts the position of path for package inventory.
func (d *decoder) position(path []string) inventory.Position {
	p := d.pos.at(path)
	return inventory.Position{File: d.file, Line: p.Line, Col: p.Col}
}

// settings reads the SSH settings of [defaults] or [hosts."name"].
func (d *decoder) settings(t *table) inventory.Settings {
	var s inventory.Settings
	s.HostName, _ = d.str(t, "hostname")
	s.User, _ = d.str(t, "user")
	s.Port, _ = d.integer(t, "port") // inventory.Validate checks the range
	s.Identity, _ = d.str(t, "identity")
	s.KnownHosts, _ = d.str(t, "known_hosts")
	s.Jump, _ = d.str(t, "jump")
	return s
}

// persist reads [defaults] persist: how long drover keeps its
// connections open after a command ("60s"); none is 0, off.
func (d *decoder) persist(t *table) time.Duration {
	s, ok := d.str(t, "persist")
	if !ok {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.errorf(t.keyPath("persist"), "persist: %q is not a duration like \"60s\" (\"0s\" for off)", s)
		return 0
	}
	return v
}

// groups reads [groups]: name = ["pattern", "@group", ...].
func (d *decoder) groups(t *table, inv *inventory.Inventory) {
	gt := d.sub(t, "groups", "[groups]")
	if gt == nil {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(gt.m)) {
		inv.Groups[name] = d.strings(gt, name)
		inv.GroupPos[name] = d.position(gt.keyPath(name))
	}
}

// inventoryOrder lists group members in file order, then the [hosts] keys
// in file order: the order hosts are worked on.
func inventoryOrder(inv *inventory.Inventory) []string {
	groups := slices.SortedFunc(maps.Keys(inv.GroupPos), func(a, b string) int {
		return comparePosition(inv.GroupPos[a], inv.GroupPos[b])
	})
	var order []string
	for _, g := range groups {
		order = append(order, inv.Groups[g]...)
	}
	hosts := slices.SortedFunc(maps.Keys(inv.Hosts), func(a, b string) int {
		return comparePosition(inv.Hosts[a].Pos, inv.Hosts[b].Pos)
	})
	return append(order, hosts...)
}

func comparePosition(a, b inventory.Position) int {
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	return a.Col - b.Col
}

// CheckInventory reports a target group the inventory does not define, at
// the runbook's target key. A nil inventory checks nothing.
func (rb *Runbook) CheckInventory(inv *inventory.Inventory) error {
	if inv == nil || rb.target == "" || rb.target == inventory.AllGroup {
		return nil
	}
	groups := inv.GroupNames()
	if slices.Contains(groups, rb.target) {
		return nil
	}
	d := &decoder{file: rb.file, pos: rb.pos}
	msg := "target: no group " + rb.target + " in " + inv.File
	if s := suggest(rb.target, groups); s != "" {
		msg += "; did you mean " + s + "?"
	}
	d.errorf(rb.targetPath, "%s", msg)
	return d.diags.sorted()
}
