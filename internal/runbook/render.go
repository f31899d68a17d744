package runbook

import (
	"fmt"
	"maps"
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
		Tunnels:     slices.Clone(rb.tunnels),
	}
	if rb.release != nil {
		p.Release = &plan.Release{Root: params["root"], Keep: rb.release.keep}
	}
	p.Stages = r.stages(params)
	p.HAProxy = r.haproxyPlan(params)
	r.reportFailures()
	if err := r.d.diags.sorted(); err != nil {
		return nil, err
	}
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
	if err := tmpl.Execute(&b, data); err != nil {
		r.fail(x, host, err)
		return "", false
	}
	return b.String(), true
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

// hostData is the template data of one host.
func (r *renderer) hostData(params map[string]string, h inventory.Host) map[string]any {
	data := make(map[string]any, len(params)+len(hostValues))
	for k, v := range params {
		data[k] = v
	}
	vars := h.Vars
	if vars == nil {
		vars = map[string]string{}
	}
	data["host"] = h.Name
	data["addr"] = h.Endpoint.Host
	data["user"] = h.Endpoint.User
	data["vars"] = vars
	data["run_id"] = r.opts.RunID
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
	ps.To, _ = r.render(s.to, host, data)
	ps.SkipIf, _ = r.render(s.skipIf, host, data)
	for _, e := range s.expect {
		rule := e.base
		rule.Send, _ = r.render(e.send, host, data)
		ps.Expect = append(ps.Expect, rule)
	}
	return ps
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
