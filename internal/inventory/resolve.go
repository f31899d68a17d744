package inventory

import (
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
	var set targetSet
	for _, g := range groups {
		if err := inv.addGroup(&set, strings.TrimPrefix(g, "@"), nil); err != nil {
			return nil, err
		}
	}
	for _, p := range hostPatterns {
		if err := inv.addMember(&set, p, nil); err != nil {
			return nil, err
		}
	}
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

// targetSet collects targets once each, by host name, first mention first.
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
		if !s.seen[t.Host] {
			s.seen[t.Host] = true
			s.targets = append(s.targets, t)
		}
	}
	return nil
}

// addGroup adds a group's members, following "@group" members; stack holds
// the groups being expanded, to report cycles.
func (inv *Inventory) addGroup(set *targetSet, name string, stack []string) error {
	if i := slices.Index(stack, name); i >= 0 {
		return fmt.Errorf("group cycle: @%s", strings.Join(append(stack[i:], name), " -> @"))
	}
	members, ok := inv.groupMembers(name)
	if !ok {
		err := fmt.Errorf("%w %q", ErrUnknownGroup, name)
		if inv != nil && inv.File != "" {
			err = fmt.Errorf("%w in %s", err, inv.File)
		}
		return withHint(err, unknownGroupHint(name, inv.GroupNames()))
	}
	stack = append(stack, name)
	for _, m := range members {
		if err := inv.addMember(set, m, stack); err != nil {
			return err
		}
	}
	return nil
}

// addMember adds one group member or -H item: "@group" or a host pattern.
func (inv *Inventory) addMember(set *targetSet, m string, stack []string) error {
	if sub, ok := strings.CutPrefix(m, "@"); ok {
		return inv.addGroup(set, sub, stack)
	}
	if err := set.addPattern(m); err != nil {
		if len(stack) > 0 {
			return fmt.Errorf("group %s: %w", stack[len(stack)-1], err)
		}
		return err
	}
	return nil
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
