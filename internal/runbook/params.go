package runbook

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/drover-sh/drover/internal/plan"
)

// param is one [params.NAME] table, or root from [release].
type param struct {
	name       string
	path       []string // the table, for positions
	def        text     // default value, a template; unset when none
	required   bool
	help       string
	pattern    *regexp.Regexp // anchored; nil means safeValue
	patternSrc string
}

// release is the [release] table; its root is the param root.
type release struct {
	keep int
}

// safeValue is what a param value may hold unless the param declares its own
// pattern: no shell metacharacters, no spaces.
var safeValue = regexp.MustCompile(`^[A-Za-z0-9._\-:/@+=,]*$`)

// identifier is what a param name must look like to be usable as {{ .name }}.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// defaultRefs are the values a param default may name.
var defaultRefs = map[string]bool{"run_id": true}

// check reports whether v is an acceptable value of p.
func (p param) check(v string) error {
	if p.pattern != nil {
		if !p.pattern.MatchString(v) {
			return fmt.Errorf("value %q of param %s does not match its pattern %s", v, p.name, p.patternSrc)
		}
		return nil
	}
	if !safeValue.MatchString(v) {
		return fmt.Errorf("value %q of param %s may hold only A-Z a-z 0-9 . _ - : / @ + = , (declare a pattern to allow more)", v, p.name)
	}
	if strings.HasPrefix(v, "-") {
		return fmt.Errorf("value %q of param %s starts with -, which a command would take for an option (declare a pattern to allow it)", v, p.name)
	}
	if hasDotDot(v) {
		return fmt.Errorf("value %q of param %s has a .. path segment, which leaves the directory it names (declare a pattern to allow it)", v, p.name)
	}
	return nil
}

// hasDotDot reports whether a /-separated path has a ".." segment.
func hasDotDot(p string) bool {
	return slices.Contains(strings.Split(p, "/"), "..")
}

// release reads [release] and returns nil when there is none.
func (d *runbookDecoder) release(t *table) *release {
	rt := d.sub(t, "release", "[release]")
	if rt == nil {
		return nil
	}
	r := &release{}
	if !rt.has("root") {
		d.errorf(rt.path, "[release] needs root = \"DIR\"")
	}
	if keep, ok := d.integer(rt, "keep"); ok {
		if keep < 0 {
			d.keyErrorf(rt, "keep", "want 0 (keep all) or more, got %d", keep)
		}
		r.keep = keep
	}
	d.finish(rt)
	return r
}

// params reads every [params.NAME] table and, with a [release], the param
// root.
func (d *runbookDecoder) params(t *table, rel *release) []param {
	var out []param
	for _, pt := range d.named(t, "params", "params") {
		name := pt.path[len(pt.path)-1]
		switch {
		case !identifier.MatchString(name):
			d.errorf(pt.path, "param name %q: want letters, digits and _, not starting with a digit", name)
		case slices.Contains(hostValues, name):
			d.errorf(pt.path, "param name %s is taken by the host value .%s", name, name)
		case name == "root" && rel != nil:
			d.errorf(pt.path, "param root is set by [release] root; drop [params.root]")
		}
		out = append(out, d.param(pt, name))
	}
	if rt := d.sub(t, "release", "[release]"); rt != nil {
		p := param{name: "root", path: rt.path, help: "directory holding releases/ and current ([release] root)"}
		p.def = d.text(rt, "root", defaultRefs)
		d.checkLiteral(p, rt, "root")
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b param) int { return strings.Compare(a.name, b.name) })
	return out
}

func (d *runbookDecoder) param(pt *table, name string) param {
	p := param{name: name, path: pt.path}
	p.required = d.boolean(pt, "required")
	p.help, _ = d.str(pt, "help")
	if src, ok := d.str(pt, "pattern"); ok {
		if _, err := regexp.Compile(src); err != nil {
			d.keyErrorf(pt, "pattern", "%s", regexpError(err))
		} else {
			p.pattern, p.patternSrc = regexp.MustCompile(`^(?:`+src+`)$`), src
		}
	}
	p.def = d.text(pt, "default", defaultRefs)
	d.checkLiteral(p, pt, "default")
	d.finish(pt)
	return p
}

// checkLiteral checks a default that is not a template now; templated
// defaults are checked once rendered, by Plan.
func (d *runbookDecoder) checkLiteral(p param, t *table, k string) {
	if !p.def.set || containsAction(p.def.src) {
		return
	}
	if err := p.check(p.def.src); err != nil {
		d.keyErrorf(t, k, "%v", err)
	}
}

// secretTables reads every [secrets.NAME] table and adds the implicit sudo
// secret when the runbook does not declare it.
func (d *runbookDecoder) secretTables(t *table) map[string]plan.Secret {
	out := map[string]plan.Secret{
		"sudo": {Name: "sudo", Prompt: "sudo password", Env: "DROVER_SUDO_PASSWORD"},
	}
	for _, st := range d.named(t, "secrets", "secrets") {
		s := plan.Secret{Name: st.path[len(st.path)-1]}
		s.Prompt, _ = d.str(st, "prompt")
		s.Env, _ = d.str(st, "env")
		s.File, _ = d.str(st, "file")
		if s.Prompt == "" && s.Env == "" && s.File == "" {
			d.errorf(st.path, "secret %s needs prompt, env or file", s.Name)
		}
		d.finish(st)
		out[s.Name] = s
	}
	return out
}

// tunnel is one [[tunnel]]: its addresses, or the directory it serves
// (a template of params).
type tunnel struct {
	base  plan.Tunnel
	serve text
}

// tunnels reads every [[tunnel]]: remote, and one of local or serve.
func (d *runbookDecoder) tunnels(t *table) []tunnel {
	var out []tunnel
	for _, tt := range d.subs(t, "tunnel", "[[tunnel]]") {
		var tun tunnel
		tun.base.Remote = d.address(tt, "remote")
		switch {
		case tt.has("serve") && tt.has("local"):
			d.keyErrorf(tt, "serve", "a tunnel goes to local or serves a directory, not both")
		case tt.has("serve"):
			tun.serve = d.text(tt, "serve", d.refs)
		default:
			tun.base.Local = d.address(tt, "local")
		}
		d.finish(tt)
		out = append(out, tun)
	}
	return out
}

// tunnelPlan renders the directories the tunnels serve.
func (r *renderer) tunnelPlan(params map[string]string) []plan.Tunnel {
	var out []plan.Tunnel
	for _, t := range r.rb.tunnels {
		p := t.base
		if t.serve.set {
			p.Serve, _ = r.render(t.serve, "", paramData(params, r.opts.RunID))
		}
		out = append(out, p)
	}
	return out
}

// address reads a required host:port.
func (d *runbookDecoder) address(t *table, k string) string {
	s, ok := d.str(t, k)
	if !ok {
		if !t.has(k) {
			d.errorf(t.path, "%s needs %s = \"HOST:PORT\"", t.name, k)
		}
		return ""
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		d.keyErrorf(t, k, "%q is not HOST:PORT", s)
	}
	return s
}
