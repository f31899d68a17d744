// Package runbook reads drover's TOML files: it decodes runbooks and
// inventories strictly (an unknown key is an error, with a suggestion),
// validates them, reports every problem as a positioned Diagnostic, and
// renders a runbook's params and templates for every targeted host into an
// immutable plan.Plan.
//
// It is the only package that imports the TOML library. It does no I/O
// besides reading the bytes it is given: it does not resolve hosts, ranges
// or ~/.ssh/config (package inventory does), read secrets, or run anything.
package runbook

import (
	"errors"
	"maps"
	"slices"

	"github.com/BurntSushi/toml"
	"github.com/drover-sh/drover/internal/plan"
)

// Runbook is a decoded and statically validated runbook. Its templates are
// still templates; Plan renders them for a set of hosts. A Runbook is not
// modified after Parse and is safe for concurrent use.
type Runbook struct {
	file        string
	name        string
	description string
	target      string
	targetPath  []string
	params      []param
	release     *release
	secrets     map[string]plan.Secret
	tunnels     []tunnel
	lbs         []lb
	stages      []stage
	pos         positions
}

// Parse decodes and validates a runbook. name is the file name used in
// diagnostics. Every problem found is returned as Diagnostics.
func Parse(name string, src []byte) (*Runbook, error) {
	d, doc, err := decodeTOML(name, src)
	if err != nil {
		return nil, err
	}
	rb := (&runbookDecoder{decoder: d}).runbook(doc)
	if err := d.diags.sorted(); err != nil {
		return nil, err
	}
	return rb, nil
}

// decodeTOML decodes src into plain maps and prepares a decoder for it. A
// syntax error is returned as a single Diagnostic.
func decodeTOML(name string, src []byte) (*decoder, *table, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(src), &doc); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, nil, Diagnostics{{File: name, Line: pe.Position.Line, Col: max(1, pe.Position.Col), Msg: pe.Message}}
		}
		return nil, nil, Diagnostics{{File: name, Msg: err.Error()}}
	}
	d := &decoder{file: name, pos: scanPositions(string(src))}
	return d, &table{m: doc}, nil
}

// Name is the runbook's name.
func (rb *Runbook) Name() string { return rb.name }

// Description is the runbook's one-line description.
func (rb *Runbook) Description() string { return rb.description }

// Target is the group the runbook runs on when the command line names no
// hosts or groups; "" when the runbook has none.
func (rb *Runbook) Target() string { return rb.target }

// File is the file name given to Parse.
func (rb *Runbook) File() string { return rb.file }

// ParamInfo describes one parameter, for `drover plan` and help output.
type ParamInfo struct {
	Name     string
	Default  string // as written, possibly a template
	Required bool
	Help     string
	Pattern  string // the param's own pattern; "" means the safe characters
}

// Params lists the runbook's parameters by name, including root when the
// runbook has a [release] table.
func (rb *Runbook) Params() []ParamInfo {
	out := make([]ParamInfo, 0, len(rb.params))
	for _, p := range rb.params {
		info := ParamInfo{Name: p.name, Default: p.def.src, Required: p.required, Help: p.help}
		if p.pattern != nil {
			info.Pattern = p.patternSrc
		}
		out = append(out, info)
	}
	return out
}

// Secrets lists the secrets the runbook may need, by name, including the
// implicit "sudo" secret.
func (rb *Runbook) Secrets() []plan.Secret {
	out := make([]plan.Secret, 0, len(rb.secrets))
	for _, name := range slices.Sorted(maps.Keys(rb.secrets)) {
		out = append(out, rb.secrets[name])
	}
	return out
}

// runbookDecoder reads the tables of a runbook. refs are the names
// templates may use; secrets the secrets expect rules may send; hasRelease
// says whether switchrel steps have a root to switch under.
type runbookDecoder struct {
	*decoder
	refs       map[string]bool
	secrets    map[string]plan.Secret
	hasRelease bool
}

func (d *runbookDecoder) runbook(t *table) *Runbook {
	rb := &Runbook{file: d.file, pos: d.pos}
	rb.name, _ = d.str(t, "name")
	if v, ok := t.m["name"]; !ok || v == "" {
		d.errorf(nil, "runbook needs a name: name = \"...\"")
	}
	rb.description, _ = d.str(t, "description")
	rb.target, _ = d.str(t, "target")
	rb.targetPath = t.keyPath("target")
	rb.release = d.release(t)
	d.hasRelease = rb.release != nil
	rb.params = d.params(t, rb.release)
	d.refs = map[string]bool{}
	for _, name := range hostValues {
		d.refs[name] = true
	}
	for _, p := range rb.params {
		d.refs[p.name] = true
	}
	rb.secrets = d.secretTables(t)
	d.secrets = rb.secrets
	rb.tunnels = d.tunnels(t)
	global := d.expectRules(t, "expect", "[[expect]]")
	rb.stages = d.stages(t, global)
	rb.lbs = d.haproxies(t)
	d.checkHAProxySteps(t, rb)
	d.finish(t)
	return rb
}
