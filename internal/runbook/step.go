package runbook

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/plan"
)

// Step defaults (DESIGN §4).
const (
	defaultTimeout     = 10 * time.Minute
	defaultIdleTimeout = 60 * time.Second
)

// step is one [[stage.step]] or [[stage.undo]]: the values that are the same
// for every host, and the templates rendered per host.
type step struct {
	base   plan.Step // every field that is not a template; Expect unset
	arg    text      // the kind's value (not for pause)
	to     text
	upBase text // upload: base
	sha256 text // fetch: the download's hash
	skipIf text
	body   text         // http: a body regexp written as a template
	expect []expectRule // the runbook's [[expect]] rules, then the step's own
	// haproxy: the step's own backend and server, instead of [haproxy]'s
	backend, server text
}

// expectRule is one expect rule; only send is a template.
type expectRule struct {
	base plan.ExpectRule
	send text
}

// stepKinds are the keys that say what a step does, exactly one per step.
var stepKinds = []plan.Kind{
	plan.KindRun, plan.KindUpload, plan.KindSwitchrel, plan.KindWatch,
	plan.KindLocal, plan.KindConfirm, plan.KindPause,
	plan.KindHTTP, plan.KindHAProxy, plan.KindFetch,
}

func (d *runbookDecoder) steps(t *table, k, name string, global []expectRule) []step {
	var out []step
	for _, st := range d.subs(t, k, name) {
		out = append(out, d.step(st, global))
	}
	return out
}

func (d *runbookDecoder) step(t *table, global []expectRule) step {
	var s step
	kind, ok := d.stepKind(t)
	s.base.Kind = kind
	switch {
	case kind == plan.KindPause:
		s.base.Pause = d.duration(t, "pause", 0)
	case ok:
		s.arg = d.text(t, string(kind), d.refs)
		s.arg.shell = kind == plan.KindRun || kind == plan.KindLocal
		if s.arg.set && strings.TrimSpace(s.arg.src) == "" {
			d.keyErrorf(t, string(kind), "empty")
		}
	}
	s.base.Name, _ = d.str(t, "name")
	if s.base.Name == "" && ok {
		raw, _ := t.m[string(kind)].(string)
		s.base.Name = derivedName(kind, raw)
	}
	d.commonKeys(t, &s)
	d.kindKeys(t, &s)
	if kind == plan.KindRun {
		s.expect = append(slices.Clip(global), s.expect...)
	}
	d.finish(t)
	return s
}

// stepKind finds the one key that says what the step does.
func (d *runbookDecoder) stepKind(t *table) (plan.Kind, bool) {
	var found []plan.Kind
	for _, k := range stepKinds {
		if t.has(string(k)) {
			found = append(found, k)
		}
	}
	switch len(found) {
	case 0:
		d.errorf(t.path, "%s needs one of run, upload, switchrel, watch, local, confirm, pause, http, haproxy, fetch", t.name)
		return "", false
	case 1:
		return found[0], true
	}
	d.keyErrorf(t, string(found[1]), "a step does one thing; this one has both %s and %s", found[0], found[1])
	return found[0], true
}

// derivedName names a step that has no name: "run: systemctl restart app".
// It comes from the template as written, so it is the same on every host
// and in every run.
func derivedName(kind plan.Kind, src string) string {
	const maxLen = 48
	v := strings.Join(strings.Fields(src), " ")
	if r := []rune(v); len(r) > maxLen {
		v = string(r[:maxLen-1]) + "…"
	}
	return string(kind) + ": " + v
}

// commonKeys reads the keys every kind of step may have.
func (d *runbookDecoder) commonKeys(t *table, s *step) {
	s.base.Timeout = d.positiveDuration(t, "timeout", defaultTimeout)
	s.base.IdleTimeout = d.positiveDuration(t, "idle_timeout", defaultIdleTimeout)
	s.base.Sudo = d.boolean(t, "sudo")
	s.base.OkExit = d.okExit(t)
	if n, ok := d.integer(t, "retries"); ok {
		if n < 0 {
			d.keyErrorf(t, "retries", "want 0 or more, got %d", n)
		}
		s.base.Retries = max(0, n)
	}
	s.base.RetryDelay = d.duration(t, "retry_delay", 0)
	s.skipIf = d.text(t, "skip_if", d.refs)
	s.skipIf.shell = true
	s.base.Until = d.regexp(t, "until")
	s.base.FailOn = d.regexp(t, "fail_on")
}

// kindKeys reads the keys that belong to one kind of step and reports them
// on steps of another kind.
func (d *runbookDecoder) kindKeys(t *table, s *step) {
	kind := s.base.Kind
	d.onlyFor(t, kind, "once", plan.KindLocal)
	s.base.Once = d.boolean(t, "once")
	d.onlyFor(t, kind, "env_secrets", plan.KindLocal)
	s.base.EnvSecrets = d.envSecrets(t)
	d.onlyFor(t, kind, "to", plan.KindUpload, plan.KindFetch)
	s.to = d.text(t, "to", d.refs)
	if (kind == plan.KindUpload || kind == plan.KindFetch) && !s.to.set {
		d.errorf(t.path, "%s: %s needs to = \"REMOTE PATH\"", t.name, kind)
	}
	d.onlyFor(t, kind, "sha256", plan.KindFetch)
	s.sha256 = d.text(t, "sha256", d.refs)
	d.onlyFor(t, kind, "base", plan.KindUpload)
	s.upBase = d.text(t, "base", d.refs)
	d.onlyFor(t, kind, "until", plan.KindRun, plan.KindWatch)
	d.onlyFor(t, kind, "fail_on", plan.KindRun, plan.KindWatch)
	if kind == plan.KindWatch && !t.has("until") {
		d.errorf(t.path, "%s: watch needs until = 'REGEXP' (the line that says it is up)", t.name)
	}
	d.onlyFor(t, kind, "sudo", plan.KindRun)
	d.onlyFor(t, kind, "ok_exit", plan.KindRun, plan.KindLocal)
	d.onlyFor(t, kind, "pty", plan.KindRun)
	s.base.PTY = d.boolean(t, "pty")
	d.onlyFor(t, kind, "expect", plan.KindRun)
	s.expect = d.expectRules(t, "expect", "[[stage.step.expect]]")
	d.probeKeys(t, s)
	if kind == plan.KindSwitchrel && !d.hasRelease {
		// Without a root the run could only fail it on every host, after
		// the stages before it changed them.
		d.keyErrorf(t, "switchrel", "a switchrel step needs a [release] table with root")
	}
}

// envSecrets reads env_secrets: declared secrets, each named once.
func (d *runbookDecoder) envSecrets(t *table) []string {
	const k = "env_secrets"
	a, _ := d.array(t, k)
	var names []string
	for i, v := range a {
		path := append(t.keyPath(k), fmt.Sprint(i))
		name, ok := v.(string)
		switch {
		case !ok:
			d.errorf(path, "%s: want secret names, got %s", t.where(k), tomlType(v))
		case slices.Contains(names, name):
			d.errorf(path, "%s: %s is named twice", t.where(k), name)
		case !d.hasSecret(name):
			d.errorf(path, "%s: no secret %s%s", t.where(k), name, d.secretHint(name))
		default:
			names = append(names, name)
		}
	}
	return names
}

func (d *runbookDecoder) hasSecret(name string) bool {
	_, ok := d.secrets[name]
	return ok
}

// secretHint suggests a declared secret close to name, or where to declare it.
func (d *runbookDecoder) secretHint(name string) string {
	if s := suggest(name, slices.Sorted(maps.Keys(d.secrets))); s != "" {
		return "; did you mean " + s + "?"
	}
	return fmt.Sprintf("; declare it in [secrets.%s]", quoteKey(name))
}

// onlyFor reports key k when the step's kind is not one of kinds.
func (d *runbookDecoder) onlyFor(t *table, kind plan.Kind, k string, kinds ...plan.Kind) {
	if _, ok := t.m[k]; !ok || kind == "" || slices.Contains(kinds, kind) {
		return
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	d.keyErrorf(t, k, "only %s steps take %s, not %s steps", strings.Join(names, " and "), k, kind)
}

// positiveDuration reads a duration that must be more than zero.
func (d *runbookDecoder) positiveDuration(t *table, k string, def time.Duration) time.Duration {
	v := d.duration(t, k, def)
	if v == 0 {
		d.keyErrorf(t, k, "want more than zero")
		return def
	}
	return v
}

// okExit reads ok_exit, default [0].
func (d *runbookDecoder) okExit(t *table) []int {
	a, ok := d.array(t, "ok_exit")
	if !ok {
		return []int{0}
	}
	out := make([]int, 0, len(a))
	for i, v := range a {
		n, ok := v.(int64)
		if !ok {
			d.errorf(append(t.keyPath("ok_exit"), fmt.Sprint(i)), "%s: want exit codes, got %s", t.where("ok_exit"), tomlType(v))
			continue
		}
		if n < 0 || n > 255 {
			d.errorf(append(t.keyPath("ok_exit"), fmt.Sprint(i)), "%s: want exit codes 0 to 255, got %d", t.where("ok_exit"), n)
			continue
		}
		out = append(out, int(n))
	}
	return out
}

// expectRules reads an array of expect tables.
func (d *runbookDecoder) expectRules(t *table, k, name string) []expectRule {
	var out []expectRule
	for _, et := range d.subs(t, k, name) {
		out = append(out, d.expectRule(et))
	}
	return out
}

func (d *runbookDecoder) expectRule(t *table) expectRule {
	var r expectRule
	if !t.has("match") {
		d.errorf(t.path, "%s needs match = 'REGEXP'", t.name)
	}
	r.base.Match = d.regexp(t, "match")
	r.send = d.text(t, "send", d.refs)
	r.base.SendSecret, _ = d.str(t, "send_secret")
	if _, ok := d.secrets[r.base.SendSecret]; r.base.SendSecret != "" && !ok {
		d.keyErrorf(t, "send_secret", "no secret %s; declare it in [secrets.%s]", r.base.SendSecret, quoteKey(r.base.SendSecret))
	}
	r.base.Fail, _ = d.str(t, "fail")
	if n := countSet(t, "send", "send_secret", "fail"); n != 1 {
		d.errorf(t.path, "%s needs exactly one of send, send_secret, fail (has %d)", t.name, n)
	}
	r.base.Max = 1
	if n, ok := d.integer(t, "max"); ok {
		if n < 1 {
			d.keyErrorf(t, "max", "want 1 or more, got %d", n)
		}
		r.base.Max = max(1, n)
	}
	d.finish(t)
	return r
}

// countSet counts how many of keys t has.
func countSet(t *table, keys ...string) int {
	n := 0
	for _, k := range keys {
		if _, ok := t.m[k]; ok {
			n++
		}
	}
	return n
}
