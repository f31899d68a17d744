package runbook

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	hostrelease "github.com/drover-sh/drover/internal/release"
)

// Options are the run-time inputs of Plan. The zero value plans for no
// hosts, with the defaults of every param, today's date from the clock.
type Options struct {
	Sets  map[string]string // --set NAME=VALUE; "root" overrides [release] root
	Hosts []inventory.Host  // targeted hosts, in order, already expanded
	RunID string            // the template value .run_id
	Now   time.Time         // the clock of {{ today }}; zero means time.Now()
	File  string            // display name in diagnostics; "" means the name given to Parse
	// HostPos says where each host's inventory entry is written
	// (FILE:LINE:COL), for messages about its values; it may be nil.
	HostPos map[string]string
	// Overrides are the command line's changes to every stage and step,
	// checked after the runbook's own values.
	Overrides plan.Overrides
}

// Plan resolves the params (defaults, then Sets), checks every value, and
// renders every step of every stage for every host. It returns Diagnostics
// naming the key and the host of each template that fails; nothing is
// returned half-rendered.
func (rb *Runbook) Plan(opts Options) (*plan.Plan, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.File == "" {
		opts.File = rb.file
	}
	r := &renderer{rb: rb, opts: opts, d: &decoder{file: opts.File, pos: rb.pos}, cache: map[string]*template.Template{}}
	params := r.params()
	if err := r.d.diags.sorted(); err != nil {
		return nil, err
	}
	p := &plan.Plan{
		Name:        rb.name,
		Description: rb.description,
		File:        opts.File,
		Params:      params,
		Hosts:       slices.Clone(opts.Hosts),
		Secrets:     maps.Clone(rb.secrets),
	}
	if rb.release != nil {
		p.Release = &plan.Release{Root: params["root"], Keep: rb.release.keep}
	}
	p.Tunnels = r.tunnelPlan(params)
	p.Stages = r.stages(params)
	p.HAProxy = r.haproxyPlan(params)
	r.reportFailures()
	if err := r.d.diags.sorted(); err != nil {
		return nil, err
	}
	if err := opts.Overrides.Validate(); err != nil {
		return nil, err
	}
	for i, st := range p.Stages {
		p.Stages[i] = opts.Overrides.Stage(st)
	}
	p.Secrets = opts.Overrides.AddSecrets(p.Secrets)
	return p, nil
}

// renderer renders one Plan. Each template is parsed once; a template that
// fails is reported once, with the first host it failed on and a count of
// the others.
type renderer struct {
	rb       *Runbook
	opts     Options
	d        *decoder
	cache    map[string]*template.Template
	failures map[string]*failure // by key path
	order    []string
	used     rawUses // host values the template being executed printed raw
}

type failure struct {
	x     text
	host  string
	msg   string
	count int
}

// params returns the value of every param, or reports why it has none.
func (r *renderer) params() map[string]string {
	for _, k := range slices.Sorted(maps.Keys(r.opts.Sets)) {
		if !slices.ContainsFunc(r.rb.params, func(p param) bool { return p.name == k }) {
			r.d.diags = append(r.d.diags, Diagnostic{File: r.opts.File, Msg: r.unknownSet(k)})
		}
	}
	values := map[string]string{}
	for _, p := range r.rb.params {
		v, ok := r.paramValue(p)
		if !ok {
			continue
		}
		if err := p.check(v); err != nil {
			r.d.errorf(r.valuePath(p), "%v", err)
			continue
		}
		values[p.name] = v
	}
	return values
}

func (r *renderer) unknownSet(k string) string {
	names := make([]string, len(r.rb.params))
	for i, p := range r.rb.params {
		names[i] = p.name
	}
	msg := fmt.Sprintf("--set %s: the runbook has no param %s", k, k)
	if s := suggest(k, names); s != "" {
		return msg + "; did you mean " + s + "?"
	}
	if len(names) == 0 {
		return msg + " (it has no params)"
	}
	return msg + " (params: " + strings.Join(names, ", ") + ")"
}

// paramValue is the --set value of p, else its rendered default.
func (r *renderer) paramValue(p param) (string, bool) {
	if v, ok := r.opts.Sets[p.name]; ok {
		return v, true
	}
	if !p.def.set {
		if p.required {
			r.d.errorf(p.path, "param %s is required: give it with --set %s=VALUE", p.name, p.name)
			return "", false
		}
		return "", true
	}
	return r.render(p.def, "", map[string]any{"run_id": r.opts.RunID})
}

// valuePath is where a bad value of p is reported: its default, or its
// table for a --set value.
func (r *renderer) valuePath(p param) []string {
	if _, ok := r.opts.Sets[p.name]; ok || !p.def.set {
		return p.path
	}
	return p.def.path
}

// render executes x with data, recording a failure under host.
func (r *renderer) render(x text, host string, data map[string]any) (string, bool) {
	if !x.set {
		return "", true
	}
	tmpl, ok := r.cache[x.src]
	if !ok {
		var err error
		if tmpl, err = parseTemplate("t", x.src, r.opts.Now); err != nil {
			r.fail(x, host, err) // Parse checked it already; kept for safety
			return "", false
		}
		r.cache[x.src] = tmpl
	}
	var b strings.Builder
	r.used.names = r.used.names[:0]
	if err := tmpl.Execute(&b, data); err != nil {
		r.fail(x, host, err)
		return "", false
	}
	if x.shell && len(r.used.names) > 0 {
		r.fail(x, host, r.rawUseError(host, data))
		return "", false
	}
	return b.String(), true
}

// rawUseError says which host value a shell template inserted raw, where
// it comes from, and how to insert it safely.
func (r *renderer) rawUseError(host string, data map[string]any) error {
	name := r.used.names[0]
	v, _ := lookupValue(data, name)
	where := ""
	if o := r.origin(host, name); o != "" {
		where = " (" + o + ")"
	}
	return fmt.Errorf("%s = %q%s holds characters a shell would interpret; write {{ quote %s }} to pass it as one word",
		name, v, where, name)
}

// origin says where host value name of host comes from, for messages: the
// inventory entry, or the origin of an SSH setting (a flag, ssh_config).
func (r *renderer) origin(host, name string) string {
	setting := map[string]string{".addr": inventory.SettingHost, ".user": inventory.SettingUser}[name]
	if setting != "" {
		i := slices.IndexFunc(r.opts.Hosts, func(h inventory.Host) bool { return h.Name == host })
		if o := r.opts.Hosts[i].Origin[setting]; o != "" && o != inventory.OriginHost && o != inventory.OriginDefaults {
			return "from " + o
		}
	}
	if pos := r.opts.HostPos[host]; pos != "" && name != ".run_id" {
		return "inventory " + pos
	}
	return ""
}

// lookupValue finds the text of a host value by its template name.
func lookupValue(data map[string]any, name string) (string, bool) {
	k, sub, isVar := strings.Cut(strings.TrimPrefix(name, "."), ".")
	v := data[k]
	if isVar {
		vars, _ := v.(map[string]any)
		v = vars[sub]
	}
	return plainString(v)
}

func (r *renderer) fail(x text, host string, err error) {
	k := pathKey(x.path)
	if f, ok := r.failures[k]; ok {
		f.count++
		return
	}
	if r.failures == nil {
		r.failures = map[string]*failure{}
	}
	r.failures[k] = &failure{x: x, host: host, msg: templateError(err)}
	r.order = append(r.order, k)
}

// reportFailures turns template failures into diagnostics.
func (r *renderer) reportFailures() {
	for _, k := range r.order {
		f := r.failures[k]
		msg := f.x.where + ": " + f.msg
		if f.host != "" {
			msg = fmt.Sprintf("%s: for host %s: %s", f.x.where, f.host, f.msg)
		}
		if f.count > 0 {
			msg += fmt.Sprintf(" (and on %d more %s)", f.count, plural(f.count, "host", "hosts"))
		}
		r.d.errorf(f.x.path, "%s", msg)
	}
}

// hostData is the template data of one host. Host values outside the safe
// set are rawValues, so that a shell template printing one is refused.
func (r *renderer) hostData(params map[string]string, h inventory.Host) map[string]any {
	data := make(map[string]any, len(params)+len(hostValues))
	for k, v := range params {
		data[k] = v
	}
	vars := make(map[string]any, len(h.Vars))
	for k, v := range h.Vars {
		vars[k] = hostValue(v, ".vars."+k, &r.used)
	}
	data["host"] = hostValue(h.Name, ".host", &r.used)
	data["addr"] = hostValue(h.Endpoint.Host, ".addr", &r.used)
	data["user"] = hostValue(h.Endpoint.User, ".user", &r.used)
	data["vars"] = vars
	data["run_id"] = hostValue(r.opts.RunID, ".run_id", &r.used)
	return data
}

func (r *renderer) stages(params map[string]string) []plan.Stage {
	out := make([]plan.Stage, len(r.rb.stages))
	for i, s := range r.rb.stages {
		ps := s.plan
		ps.Batches = slices.Clone(s.plan.Batches)
		ps.Steps = make(map[string][]plan.Step, len(r.opts.Hosts))
		ps.Undo = make(map[string][]plan.Step, len(r.opts.Hosts))
		out[i] = ps
	}
	for _, h := range r.opts.Hosts {
		data := r.hostData(params, h)
		for i, s := range r.rb.stages {
			out[i].Steps[h.Name] = r.steps(s.steps, h.Name, data)
			out[i].Undo[h.Name] = r.steps(s.undo, h.Name, data)
		}
	}
	return out
}

func (r *renderer) steps(steps []step, host string, data map[string]any) []plan.Step {
	out := make([]plan.Step, 0, len(steps))
	for _, s := range steps {
		out = append(out, r.step(s, host, data))
	}
	return out
}

func (r *renderer) step(s step, host string, data map[string]any) plan.Step {
	ps := s.base
	ps.OkExit = slices.Clone(s.base.OkExit)
	var ok bool
	ps.Arg, ok = r.render(s.arg, host, data)
	if ok && ps.Kind == plan.KindSwitchrel && ps.Arg != hostrelease.Previous {
		// A release id that can never be switched to would fail the run
		// halfway, after earlier stages changed hosts: refuse it now.
		if err := hostrelease.CheckID(ps.Arg); err != nil {
			r.fail(s.arg, host, err)
		}
	}
	if ps.Kind == plan.KindPause {
		ps.Arg = s.base.Pause.String()
	}
	if ok && ps.Kind == plan.KindWatch {
		r.checkPath(s.arg, host, ps.Arg, data)
	}
	if to, ok := r.render(s.to, host, data); ok {
		ps.To = to
		r.checkPath(s.to, host, to, data)
	}
	if sum, ok := r.render(s.sha256, host, data); ok && s.sha256.set {
		ps.Sha256 = strings.ToLower(sum)
		if !sha256Re.MatchString(ps.Sha256) {
			r.fail(s.sha256, host, fmt.Errorf("%q is not a SHA-256 (64 hex digits)", sum))
		}
	}
	if ok && ps.Kind == plan.KindFetch {
		if u, err := url.Parse(ps.Arg); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.fail(s.arg, host, fmt.Errorf("%q is not an http or https URL", ps.Arg))
		}
	}
	if base, ok := r.render(s.upBase, host, data); ok && s.upBase.set {
		ps.Base = base
		if base != plan.NoBase {
			r.checkPath(s.upBase, host, base, data)
		}
	}
	ps.SkipIf, _ = r.render(s.skipIf, host, data)
	r.renderBody(s, host, data, &ps)
	r.renderLBTarget(s, host, data, &ps)
	for _, e := range s.expect {
		rule := e.base
		rule.Send, _ = r.render(e.send, host, data)
		ps.Expect = append(ps.Expect, rule)
	}
	return ps
}

// sha256Re is a SHA-256 in hex.
var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkPath checks a remote path rendered from a template (upload to,
// watch): it must be clean, not start with -, have no .. segment, and when
// it names .root, lie inside the release root. A path written without
// template actions is the runbook's own and taken as it is.
func (r *renderer) checkPath(x text, host, p string, data map[string]any) {
	if !x.set || !containsAction(x.src) {
		return
	}
	var err error
	switch clean := path.Clean(p); {
	case p == "":
		err = errors.New("renders to an empty path")
	case strings.HasPrefix(p, "-"):
		err = fmt.Errorf("path %q starts with -, which a command would take for an option", p)
	case hasDotDot(p):
		err = fmt.Errorf("path %q has a .. segment", p)
	case clean != p:
		err = fmt.Errorf("path %q is not clean (it would be %q)", p, clean)
	case slices.Contains(templateRefs(r.cache[x.src]), "root"):
		if root, _ := data["root"].(string); !strings.HasPrefix(p, strings.TrimSuffix(root, "/")+"/") {
			err = fmt.Errorf("path %q is outside the release root %s", p, root)
		}
	}
	if err != nil {
		r.fail(x, host, err)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
