package runbook

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/drover-sh/drover/internal/shell"
)

// rawValue is a host value (.host, .addr, .user, .vars.NAME) holding a
// character outside the safe set, as template data. Printed as it is, it
// notes its use, so that a shell template inserting it raw can be refused;
// quote takes its text as it is. Values inside the safe set are plain
// strings in the data and go anywhere.
type rawValue struct {
	s    string
	name string   // how templates name it: ".vars.dc"
	used *rawUses // where printing notes the use
}

// rawUses collects the raw values one template execution printed.
type rawUses struct{ names []string }

// String is what text/template prints: the value, noting the use.
func (v rawValue) String() string {
	if v.used != nil && !slices.Contains(v.used.names, v.name) {
		v.used.names = append(v.used.names, v.name)
	}
	return v.s
}

// hostValue returns s as template data: s itself when it is safe to insert
// into a shell command as it is, else a rawValue.
func hostValue(s, name string, used *rawUses) any {
	if safeValue.MatchString(s) {
		return s
	}
	return rawValue{s: s, name: name, used: used}
}

// plainString returns the text of a template value: a string or a rawValue.
func plainString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case rawValue:
		return v.s, true
	}
	return "", false
}

// quoteValue is the template function quote: one shell word holding v,
// whatever v holds.
func quoteValue(v any) (string, error) {
	s, ok := plainString(v)
	if !ok {
		return "", fmt.Errorf("quote: want a string, got %T", v)
	}
	return shell.Quote(s), nil
}

// equal is the template function eq (and, negated, ne) for template data:
// a host value compares by its text.
func equal(a any, bs ...any) (bool, error) {
	if len(bs) == 0 {
		return false, fmt.Errorf("eq: missing argument for comparison")
	}
	for _, b := range bs {
		if same(a, b) {
			return true, nil
		}
	}
	return false, nil
}

func same(a, b any) bool {
	sa, oka := plainString(a)
	sb, okb := plainString(b)
	if oka || okb {
		return oka && okb && sa == sb
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta != nil && ta == tb && ta.Comparable() && a == b
}
