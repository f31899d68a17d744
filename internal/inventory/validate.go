package inventory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// PosError is one problem found in an inventory, at a place in its file.
type PosError struct {
	Pos Position
	Msg string
}

// Error reads "FILE:LINE:COL: message", leaving out what is unknown.
func (e *PosError) Error() string {
	if p := e.Pos.String(); p != "" {
		return p + ": " + e.Msg
	}
	return e.Msg
}

// Validate reports every problem of an inventory, sorted by position: group
// members that name unknown groups, group cycles, malformed ranges and
// targets, bad ports and jump chains, hosts defined twice, settings that
// make no sense in [defaults]. Each error is a *PosError. A nil inventory
// has no problems.
func Validate(inv *Inventory) []error {
	if inv == nil {
		return nil
	}
	var v validator
	v.inv = inv
	v.defaults()
	// Past maxHosts names the patterns are not expanded one by one: the
	// size error is enough, and checking stays bounded.
	v.expand = v.size()
	for _, g := range inv.groupNames() {
		v.group(g)
	}
	v.cycles()
	v.hosts()
	slices.SortStableFunc(v.errs, func(a, b *PosError) int {
		return cmp.Or(comparePos(a.Pos, b.Pos), strings.Compare(a.Msg, b.Msg))
	})
	out := make([]error, len(v.errs))
	for i, e := range v.errs {
		out[i] = e
	}
	return out
}

type validator struct {
	inv    *Inventory
	errs   []*PosError
	expand bool // expand every pattern to check its names
}

// size reports an inventory whose patterns, summed, name more than maxHosts
// hosts, counting without expanding. It reports false then.
func (v *validator) size() bool {
	total := 0
	count := func(pos Position, where, pattern string) bool {
		n, err := countPattern(pattern)
		if err != nil {
			return true // reported by the pattern's own check
		}
		if total += n; total > maxHosts {
			v.add(pos, "%s: the inventory names more than %d hosts", where, maxHosts)
			return false
		}
		return true
	}
	for _, g := range v.inv.groupNames() {
		for _, m := range v.inv.Groups[g] {
			if !strings.HasPrefix(m, "@") && !count(v.inv.GroupPos[g], "group "+g, m) {
				return false
			}
		}
	}
	for _, key := range v.inv.hostKeys() {
		if !count(v.inv.Hosts[key].Pos, fmt.Sprintf("hosts.%q", key), key) {
			return false
		}
	}
	return true
}

func (v *validator) add(pos Position, format string, args ...any) {
	if pos.File == "" {
		pos.File = v.inv.File
	}
	v.errs = append(v.errs, &PosError{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) defaults() {
	d, pos := v.inv.Defaults, v.inv.DefaultsPos
	if d.HostName != "" {
		v.add(pos, "defaults: hostname would send every host to %q; set it per host in [hosts]", d.HostName)
	}
	v.settings(pos, "defaults", d)
}

// settings checks the port and the jump chain of one settings table.
func (v *validator) settings(pos Position, where string, s Settings) {
	if s.Port < 0 || s.Port > 65535 {
		v.add(pos, "%s: bad port %d: want a number from 1 to 65535", where, s.Port)
	}
	if strings.EqualFold(s.Jump, "none") {
		return
	}
	for _, hop := range SplitList(s.Jump) {
		if _, err := ParseTarget(strings.TrimPrefix(hop, "ssh://")); err != nil {
			v.add(pos, "%s: jump: %v", where, err)
		}
	}
}

func (v *validator) group(name string) {
	pos := v.inv.GroupPos[name]
	if name == "" || strings.ContainsAny(name, "@,[] ") {
		v.add(pos, "group %q: a group name may not be empty or hold '@', ',', '[', ']' or spaces", name)
	}
	for _, m := range v.inv.Groups[name] {
		v.member(pos, name, m)
	}
}

func (v *validator) member(pos Position, group, m string) {
	if sub, ok := strings.CutPrefix(m, "@"); ok {
		if _, known := v.inv.Groups[sub]; !known && sub != AllGroup {
			msg := fmt.Sprintf("group %s: unknown group %q", group, "@"+sub)
			if s := suggest(sub, v.inv.groupNames()); s != "" {
				msg += fmt.Sprintf(": did you mean %q?", "@"+s)
			}
			v.add(pos, "%s", msg)
		}
		return
	}
	if !v.expand {
		if _, err := countPattern(m); err != nil {
			v.add(pos, "group %s: %v", group, err)
		}
		return
	}
	names, err := Expand(m)
	if err != nil {
		v.add(pos, "group %s: %v", group, err)
		return
	}
	for _, n := range names {
		if _, err := ParseTarget(n); err != nil {
			v.add(pos, "group %s: %v", group, err)
			return
		}
	}
}

// cycles reports every group that includes itself, once per cycle.
//
// A group from which no cycle can be reached is remembered and never
// searched again, so each search visits every group and member at most
// once: O(G·(G+M)) for G groups and M members in all, where following every
// path took time exponential in the depth of layered groups.
func (v *validator) cycles() {
	reported := map[string]bool{}
	acyclic := map[string]bool{}
	for _, g := range v.inv.groupNames() {
		cycle := v.findCycle(g, nil, acyclic)
		if cycle == nil {
			continue
		}
		key := cycleKey(cycle)
		if reported[key] {
			continue
		}
		reported[key] = true
		v.add(v.inv.GroupPos[cycle[0]], "group cycle: @%s", strings.Join(cycle, " -> @"))
	}
}

// findCycle returns the first cycle reachable from g, starting and ending
// with the same group, or nil. acyclic holds the groups known to reach no
// cycle; findCycle adds to it.
func (v *validator) findCycle(g string, stack []string, acyclic map[string]bool) []string {
	if acyclic[g] {
		return nil
	}
	if i := slices.Index(stack, g); i >= 0 {
		return append(slices.Clone(stack[i:]), g)
	}
	stack = append(stack, g)
	for _, m := range v.inv.Groups[g] {
		if sub, ok := strings.CutPrefix(m, "@"); ok {
			if c := v.findCycle(sub, stack, acyclic); c != nil {
				return c
			}
		}
	}
	acyclic[g] = true
	return nil
}

// cycleKey names a cycle independently of where it was entered.
func cycleKey(cycle []string) string {
	members := slices.Clone(cycle[:len(cycle)-1])
	slices.Sort(members)
	return strings.Join(members, ",")
}

func (v *validator) hosts() {
	owner := map[string]string{}
	for _, key := range v.inv.hostKeys() {
		e := v.inv.Hosts[key]
		where := fmt.Sprintf("hosts.%q", key)
		v.settings(e.Pos, where, e.Settings)
		if !v.expand {
			if _, err := countPattern(key); err != nil {
				v.add(e.Pos, "%s: %v", where, err)
			}
			continue
		}
		names, err := Expand(key)
		if err != nil {
			v.add(e.Pos, "%s: %v", where, err)
			continue
		}
		if strings.Contains(key, "@") || len(outerColons(key)) == 1 {
			v.add(e.Pos, "%s: name a host only; set user and port as keys of the table", where)
			continue
		}
		for _, n := range names {
			if first, dup := owner[n]; dup {
				v.add(e.Pos, "%s: host %s is already set by hosts.%q", where, n, first)
				continue
			}
			owner[n] = key
		}
	}
}
