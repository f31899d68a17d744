package runbook

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/plan"
)

// defaultInterval is the wait between two attempts of an http step.
const defaultInterval = 250 * time.Millisecond

// haproxyActions are the values of a haproxy step.
var haproxyActions = []string{"drain", "disable", "enable"}

// probeKeys reads the keys of http and haproxy steps and reports them on
// steps of another kind.
func (d *runbookDecoder) probeKeys(t *table, s *step) {
	kind := s.base.Kind
	for _, k := range []string{"status", "body", "interval", "via"} {
		d.onlyFor(t, kind, k, plan.KindHTTP)
		t.has(k) // reported once, by onlyFor
	}
	for _, k := range []string{"wait", "backend", "server"} {
		d.onlyFor(t, kind, k, plan.KindHAProxy)
		t.has(k)
	}
	switch kind {
	case plan.KindHTTP:
		d.httpKeys(t, s)
	case plan.KindHAProxy:
		d.haproxyKeys(t, s)
	}
}

func (d *runbookDecoder) httpKeys(t *table, s *step) {
	if n, ok := d.integer(t, "status"); ok {
		if n < 100 || n > 599 {
			d.keyErrorf(t, "status", "want an HTTP status 100 to 599, got %d", n)
		}
		s.base.Status = n
	}
	if raw, ok := t.m["body"].(string); ok && containsAction(raw) {
		s.body = d.text(t, "body", d.refs) // compiled per host, once rendered
	} else {
		s.base.Body = d.regexp(t, "body")
	}
	s.base.Interval = d.positiveDuration(t, "interval", defaultInterval)
	s.base.Via = plan.ViaSSH
	if v, ok := d.str(t, "via"); ok {
		if v != plan.ViaSSH && v != plan.ViaDirect {
			d.keyErrorf(t, "via", "want \"ssh\" or \"direct\", got %q", v)
		}
		s.base.Via = v
	}
	if src := s.arg.src; s.arg.set && !strings.Contains(src, "{{") {
		if u, err := url.Parse(src); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.keyErrorf(t, "http", "%q is not an http:// or https:// URL", src)
		}
	}
}

func (d *runbookDecoder) haproxyKeys(t *table, s *step) {
	s.base.Wait = d.boolean(t, "wait")
	s.backend = d.text(t, "backend", d.refs)
	s.server = d.text(t, "server", d.refs)
	if s.backend.set && strings.TrimSpace(s.backend.src) == "" {
		d.keyErrorf(t, "backend", "empty")
	}
	raw, ok := t.m["haproxy"].(string)
	if !ok {
		return
	}
	for _, a := range haproxyActions {
		if raw == a {
			return
		}
	}
	msg := "want \"drain\", \"disable\" or \"enable\", got %q"
	if sg := suggest(raw, haproxyActions); sg != "" {
		msg += "; did you mean " + sg + "?"
	}
	d.keyErrorf(t, "haproxy", msg, raw)
}

// renderBody renders a body regexp written as a template, e.g.
// 'release {{ .release }}', and compiles it for the host. One that renders
// empty checks no body.
func (r *renderer) renderBody(s step, host string, data map[string]any, ps *plan.Step) {
	src, ok := r.render(s.body, host, data)
	if !ok || src == "" { // an empty regexp would match any body
		return
	}
	re, err := regexp.Compile(src)
	if err != nil {
		r.fail(s.body, host, errors.New(regexpError(err)))
		return
	}
	ps.Body = re
}

// renderLBTarget renders a haproxy step's own backend and server.
func (r *renderer) renderLBTarget(s step, host string, data map[string]any, ps *plan.Step) {
	ps.Backend, _ = r.render(s.backend, host, data)
	ps.Server, _ = r.render(s.server, host, data)
}
