package inventory

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Selector is what the target flags ask for. Groups and Hosts may hold
// comma lists; an empty Limit or Exclude filters nothing.
type Selector struct {
	Groups  []string // -g: group names, "@name" accepted too
	Hosts   []string // -H: host patterns, inventory names or not, user@host:port allowed; "@group" too
	Limit   string   // --limit: comma list of globs (path.Match) a name must match one of
	Exclude string   // --exclude: comma list of globs; matching names are dropped
}

// Resolve turns the target flags into hosts, in inventory order (names not in
// the inventory follow in the order given), each host once, with its SSH
// settings merged by precedence: flags, the user or port written in the
// target, the inventory host, the inventory defaults, ssh_config, built-in
// defaults. Without -g and -H the runbook's defaultGroup is used; without
// that either it fails with ErrNoTargets. An empty result is an error. Errors
// are one line; suggestions travel as *HintError.
func (inv *Inventory) Resolve(sel Selector, fl Flags, local Local, defaultGroup string) ([]Host, error) {
	targets, err := inv.Select(sel, defaultGroup)
	if err != nil {
		return nil, err
	}
	r := &resolver{flags: fl, local: local, entries: inv.entries()}
	if inv != nil {
		r.defaults = inv.Defaults
		if inv.File != "" {
			r.invDir = filepath.Dir(inv.File)
		}
	}
	hosts := make([]Host, 0, len(targets))
	for _, t := range targets {
		h, err := r.host(t)
		if err != nil {
			return nil, err
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// Select is the first half of Resolve: which hosts, in which order, without
// their SSH settings. A host named twice keeps the user and port of its first
// mention.
func (inv *Inventory) Select(sel Selector, defaultGroup string) ([]Target, error) {
	groups, hostPatterns := splitAll(sel.Groups), splitAll(sel.Hosts)
	if len(groups) == 0 && len(hostPatterns) == 0 {
		if defaultGroup == "" {
			return nil, withHint(ErrNoTargets, inv.groupsHint())
		}
		groups = []string{defaultGroup}
	}
	w := &groupWalk{inv: inv, done: map[string]bool{}}
	for _, g := range groups {
		if err := w.addGroup(strings.TrimPrefix(g, "@")); err != nil {
			return nil, err
		}
	}
	for _, p := range hostPatterns {
		if err := w.addMember(p); err != nil {
			return nil, err
		}
	}
	set := &w.set
	picked, err := filter(set.targets, sel)
	if err != nil {
		return nil, err
	}
	if len(picked) == 0 {
		return nil, emptyError(set.targets, sel)
	}
	inv.sortTargets(picked)
	return picked, nil
}

func splitAll(items []string) []string {
	var out []string
	for _, it := range items {
		out = append(out, SplitList(it)...)
	}
	return out
}

// groupsHint lists the inventory's groups, for a user who named none.
func (inv *Inventory) groupsHint() string {
	if names := inv.GroupNames(); len(names) > 0 {
		return "groups: " + strings.Join(names, ", ")
	}
	return ""
}

// targetSet collects targets once each, by host name, first mention first,
// at most maxHosts of them.
type targetSet struct {
	targets []Target
	seen    map[string]bool
}

func (s *targetSet) addPattern(p string) error {
	names, err := Expand(p)
	if err != nil {
		return withHint(err, "ranges look like web[01:12] (zero padding kept) or [a:f]; a target may be user@host:port")
	}
	for _, n := range names {
		t, err := ParseTarget(n)
		if err != nil {
			return err
		}
		if s.seen == nil {
			s.seen = map[string]bool{}
		}
		if s.seen[t.Host] {
			continue
		}
		if len(s.targets) == maxHosts {
			return fmt.Errorf("%w: more than %d hosts", errTooManyHosts, maxHosts)
		}
		s.seen[t.Host] = true
		s.targets = append(s.targets, t)
	}
	return nil
}

var errTooManyHosts = errors.New("the targets are too many")

// groupWalk adds groups and patterns to a selection, following "@group"
// members depth first.
//
// Each group is walked at most once per selection: once its members are in
// the set, a second mention adds nothing new (the set keeps each host's
// first mention), so it is skipped. Selecting therefore costs one visit per
// group and one expansion per member written in a visited group: O(G + M·E)
// for G groups, M members and E the names one pattern may expand to
// (maxExpansion), however the groups include each other. Without this, a
// chain of groups that each name the one below twice took 2^depth visits.
type groupWalk struct {
	inv   *Inventory
	set   targetSet
	done  map[string]bool // groups whose members are all in set
	stack []string        // groups being walked, to report cycles
}

func (w *groupWalk) addGroup(name string) error {
	if w.done[name] {
		return nil
	}
	if i := slices.Index(w.stack, name); i >= 0 {
		return fmt.Errorf("group cycle: @%s", strings.Join(append(slices.Clone(w.stack[i:]), name), " -> @"))
	}
	members, ok := w.inv.groupMembers(name)
	if !ok {
		err := fmt.Errorf("%w %q", ErrUnknownGroup, name)
		if w.inv != nil && w.inv.File != "" {
			err = fmt.Errorf("%w in %s", err, w.inv.File)
		}
		return withHint(err, unknownGroupHint(name, w.inv.GroupNames()))
	}
	w.stack = append(w.stack, name)
	for _, m := range members {
		if err := w.addMember(m); err != nil {
			return err
		}
	}
	w.stack = w.stack[:len(w.stack)-1]
	w.done[name] = true
	return nil
}

// addMember adds one group member or -H item: "@group" or a host pattern.
func (w *groupWalk) addMember(m string) error {
	if sub, ok := strings.CutPrefix(m, "@"); ok {
		return w.addGroup(sub)
	}
	err := w.set.addPattern(m)
	if err == nil || len(w.stack) == 0 {
		return err
	}
	g := w.stack[len(w.stack)-1]
	if errors.Is(err, errTooManyHosts) && w.inv != nil {
		pos := w.inv.GroupPos[g]
		if pos.File == "" {
			pos.File = w.inv.File
		}
		if pos := pos.String(); pos != "" {
			return fmt.Errorf("%s: group %s: %w", pos, g, err)
		}
	}
	return fmt.Errorf("group %s: %w", g, err)
}

// groupMembers returns a group's members; "all" is every inventory host
// unless the inventory defines a group of that name.
func (inv *Inventory) groupMembers(name string) ([]string, bool) {
	if inv == nil {
		return nil, false
	}
	if members, ok := inv.Groups[name]; ok {
		return members, true
	}
	if name == AllGroup {
		return inv.Names(), true
	}
	return nil, false
}

// filter applies --limit and --exclude.
func filter(targets []Target, sel Selector) ([]Target, error) {
	limit, exclude := SplitList(sel.Limit), SplitList(sel.Exclude)
	for _, p := range append(slices.Clone(limit), exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("bad glob %q: %w", p, err)
		}
	}
	var out []Target
	for _, t := range targets {
		if (len(limit) == 0 || matchAny(limit, t.Host)) && !matchAny(exclude, t.Host) {
			out = append(out, t)
		}
	}
	return out, nil
}

func matchAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// emptyError explains an empty selection.
func emptyError(selected []Target, sel Selector) error {
	if len(selected) == 0 {
		return fmt.Errorf("%w: the selected groups are empty", ErrEmptyTarget)
	}
	var filters []string
	if sel.Limit != "" {
		filters = append(filters, fmt.Sprintf("--limit %q", sel.Limit))
	}
	if sel.Exclude != "" {
		filters = append(filters, fmt.Sprintf("--exclude %q", sel.Exclude))
	}
	names := make([]string, len(selected))
	for i, t := range selected {
		names[i] = t.Host
	}
	err := fmt.Errorf("%w after %s", ErrEmptyTarget, strings.Join(filters, " and "))
	return withHint(err, "selected before filtering: "+Compress(names))
}

// sortTargets orders targets as the inventory lists them; names the
// inventory does not know keep their order, after the known ones.
func (inv *Inventory) sortTargets(ts []Target) {
	rank := map[string]int{}
	for i, n := range inv.Names() {
		rank[n] = i
	}
	slices.SortStableFunc(ts, func(a, b Target) int {
		ra, okA := rank[a.Host]
		rb, okB := rank[b.Host]
		switch {
		case okA && okB:
			return ra - rb
		case okA:
			return -1
		case okB:
			return 1
		}
		return 0
	})
}
