package runbook

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// decoder turns a decoded TOML document (maps of any) into typed values,
// collecting a positioned Diagnostic for every problem instead of stopping
// at the first.
type decoder struct {
	file  string
	pos   positions
	diags Diagnostics
}

// table is one TOML table being read. Every key asked for is remembered, so
// that finish can report the keys nobody asked for.
type table struct {
	path  []string
	name  string // "[[stage]]" in messages; "" for the document itself
	m     map[string]any
	known []string
}

func (t *table) keyPath(k string) []string {
	return append(slices.Clip(t.path), k)
}

// get returns the raw value of key k and marks k as known.
func (t *table) get(k string) (any, bool) {
	t.known = append(t.known, k)
	v, ok := t.m[k]
	return v, ok
}

// has reports whether k is set, and marks it as known.
func (t *table) has(k string) bool {
	_, ok := t.get(k)
	return ok
}

// where names key k of t for messages: "max_fail in [[stage]]".
func (t *table) where(k string) string {
	if t.name == "" {
		return k
	}
	return k + " in " + t.name
}

func (d *decoder) errorf(path []string, format string, args ...any) {
	p := d.pos.at(path)
	d.diags = append(d.diags, Diagnostic{File: d.file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)})
}

// keyErrorf reports a problem with key k of t.
func (d *decoder) keyErrorf(t *table, k, format string, args ...any) {
	d.errorf(t.keyPath(k), t.where(k)+": "+format, args...)
}

func (d *decoder) wrongType(t *table, k, want string, v any) {
	d.keyErrorf(t, k, "want %s, got %s", want, tomlType(v))
}

// finish reports every key of t that was never asked for.
func (d *decoder) finish(t *table) {
	for _, k := range slices.Sorted(maps.Keys(t.m)) {
		if slices.Contains(t.known, k) {
			continue
		}
		msg := "unknown key " + k
		if t.name != "" {
			msg += " in " + t.name
		}
		if s := suggest(k, t.known); s != "" {
			msg += "; did you mean " + s + "?"
		}
		d.errorf(t.keyPath(k), "%s", msg)
	}
}

func (d *decoder) str(t *table, k string) (string, bool) {
	v, ok := t.get(k)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		d.wrongType(t, k, "a string", v)
	}
	return s, ok
}

func (d *decoder) integer(t *table, k string) (int, bool) {
	v, ok := t.get(k)
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	if !ok {
		d.wrongType(t, k, "an integer", v)
	}
	return int(n), ok
}

func (d *decoder) boolean(t *table, k string) bool {
	v, ok := t.get(k)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		d.wrongType(t, k, "true or false", v)
	}
	return b
}

// duration reads a string such as "90s" or "2m", or returns def.
func (d *decoder) duration(t *table, k string, def time.Duration) time.Duration {
	s, ok := d.str(t, k)
	if !ok {
		return def
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.keyErrorf(t, k, "%q is not a duration like \"90s\" or \"2m\"", s)
		return def
	}
	return v
}

// regexp compiles a Go regular expression.
func (d *decoder) regexp(t *table, k string) *regexp.Regexp {
	s, ok := d.str(t, k)
	if !ok {
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		d.keyErrorf(t, k, "%s", regexpError(err))
	}
	return re
}

// regexpError shortens a regexp compile error: "bad regexp: missing
// closing ): `(x`".
func regexpError(err error) string {
	return "bad regexp: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// array reads an array value.
func (d *decoder) array(t *table, k string) ([]any, bool) {
	v, ok := t.get(k)
	if !ok {
		return nil, false
	}
	switch a := v.(type) {
	case []any:
		return a, true
	case []map[string]any:
		out := make([]any, len(a))
		for i, m := range a {
			out[i] = m
		}
		return out, true
	}
	d.wrongType(t, k, "an array", v)
	return nil, false
}

// strings reads an array of strings.
func (d *decoder) strings(t *table, k string) []string {
	a, _ := d.array(t, k)
	out := make([]string, 0, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			d.errorf(append(t.keyPath(k), fmt.Sprint(i)), "%s: want strings, got %s", t.where(k), tomlType(v))
			continue
		}
		out = append(out, s)
	}
	return out
}

// stringMap reads a table of strings, such as vars.
func (d *decoder) stringMap(t *table, k string) map[string]string {
	sub := d.sub(t, k, "")
	if sub == nil {
		return nil
	}
	out := make(map[string]string, len(sub.m))
	for name, v := range sub.m {
		s, ok := v.(string)
		if !ok {
			d.errorf(sub.keyPath(name), "%s: want a string, got %s", t.where(k+"."+quoteKey(name)), tomlType(v))
			continue
		}
		out[name] = s
	}
	return out
}

// sub reads the table at key k, or returns nil when k is not set.
func (d *decoder) sub(t *table, k, name string) *table {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.wrongType(t, k, "a table", v)
		return nil
	}
	return &table{path: t.keyPath(k), name: name, m: m}
}

// subs reads the array of tables at key k.
func (d *decoder) subs(t *table, k, name string) []*table {
	a, _ := d.array(t, k)
	out := make([]*table, 0, len(a))
	for i, v := range a {
		path := append(t.keyPath(k), fmt.Sprint(i))
		m, ok := v.(map[string]any)
		if !ok {
			d.errorf(path, "%s: want tables ([[%s]]), got %s", t.where(k), k, tomlType(v))
			continue
		}
		out = append(out, &table{path: path, name: name, m: m})
	}
	return out
}

// named returns the sub-tables of the table at key k by name, sorted, as
// for [params.NAME] and [hosts."NAME"].
func (d *decoder) named(t *table, k, kind string) []*table {
	sub := d.sub(t, k, "["+k+"]")
	if sub == nil {
		return nil
	}
	var out []*table
	for _, name := range slices.Sorted(maps.Keys(sub.m)) {
		nt := d.sub(sub, name, fmt.Sprintf("[%s.%s]", kind, quoteKey(name)))
		if nt != nil {
			out = append(out, nt)
		}
	}
	return out
}

// quoteKey writes a key as TOML would need it in a header.
func quoteKey(k string) string {
	for i := range len(k) {
		if !isBareKeyChar(k[i]) {
			return fmt.Sprintf("%q", k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// tomlType names the TOML type of a decoded value, for messages.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}
