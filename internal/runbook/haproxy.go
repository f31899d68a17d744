package runbook

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/drover-sh/drover/internal/plan"
)

// lb is one [haproxy] table. socket, via and backend are templates of the
// params, rendered once per run; server is rendered per host.
type lb struct {
	socket, via, backend text
	server               text
}

// defaultServer names a host's server in the backend after the host.
const defaultServer = "{{ .host }}"

// haproxies reads [haproxy] or [[haproxy]].
func (d *runbookDecoder) haproxies(t *table) []lb {
	var tables []*table
	switch t.m["haproxy"].(type) {
	case nil:
		return nil
	case map[string]any:
		tables = append(tables, d.sub(t, "haproxy", "[haproxy]"))
	default:
		tables = d.subs(t, "haproxy", "[[haproxy]]")
	}
	var out []lb
	for _, ht := range tables {
		out = append(out, d.haproxy(ht))
	}
	return out
}

func (d *runbookDecoder) haproxy(t *table) lb {
	var l lb
	l.socket = d.text(t, "socket", d.refs)
	if !l.socket.set {
		d.errorf(t.path, "%s needs socket = \"HOST:PORT\" or a unix socket path", t.name)
	} else if !containsAction(l.socket.src) {
		if err := checkSocket(l.socket.src); err != nil {
			d.keyErrorf(t, "socket", "%v", err)
		}
	}
	l.via = d.text(t, "via", d.refs)
	l.backend = d.text(t, "backend", d.refs)
	if !l.backend.set || strings.TrimSpace(l.backend.src) == "" {
		d.errorf(t.path, "%s needs backend = \"NAME\"", t.name)
	}
	l.server = d.text(t, "server", d.refs)
	if !l.server.set {
		l.server = text{set: true, src: defaultServer, path: t.keyPath("server"), where: t.where("server")}
	}
	d.finish(t)
	return l
}

// checkSocket checks a runtime API address: HOST:PORT or an absolute path.
func checkSocket(s string) error {
	if strings.HasPrefix(s, "/") {
		return nil
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		return fmt.Errorf("%q is neither HOST:PORT nor a unix socket path (starting with /)", s)
	}
	return nil
}

// checkHAProxySteps reports haproxy steps in a runbook without [haproxy].
func (d *runbookDecoder) checkHAProxySteps(t *table, rb *Runbook) {
	if len(rb.lbs) > 0 {
		return
	}
	for i, s := range rb.stages {
		for _, st := range slices.Concat(s.steps, s.undo) {
			if st.base.Kind == plan.KindHAProxy {
				d.errorf(append(t.keyPath("stage"), strconv.Itoa(i)), "[[stage]] %q has haproxy steps but the runbook has no [haproxy] table", s.plan.Name)
				return
			}
		}
	}
}

// haproxyPlan renders the load balancers: socket, via and backend once
// with the params, the server names for every host.
func (r *renderer) haproxyPlan(params map[string]string) []plan.HAProxy {
	out := make([]plan.HAProxy, 0, len(r.rb.lbs))
	for _, l := range r.rb.lbs {
		p := r.lbBase(l, params)
		p.Servers = make(map[string]string, len(r.opts.Hosts))
		for _, h := range r.opts.Hosts {
			p.Servers[h.Name], _ = r.render(l.server, h.Name, r.hostData(params, h))
		}
		out = append(out, p)
	}
	return out
}

// paramData is the data of a run-wide template: the params and run_id.
func paramData(params map[string]string, runID string) map[string]any {
	data := make(map[string]any, len(params)+1)
	for k, v := range params {
		data[k] = v
	}
	data["run_id"] = runID
	return data
}

// lbBase renders the run-wide values of one load balancer and checks them.
func (r *renderer) lbBase(l lb, params map[string]string) plan.HAProxy {
	data := paramData(params, r.opts.RunID)
	var p plan.HAProxy
	var ok bool
	if p.Socket, ok = r.render(l.socket, "", data); ok && containsAction(l.socket.src) {
		if err := checkSocket(p.Socket); err != nil {
			r.fail(l.socket, "", err)
		}
	}
	p.Via, _ = r.render(l.via, "", data)
	if p.Backend, ok = r.render(l.backend, "", data); ok && strings.TrimSpace(p.Backend) == "" {
		r.fail(l.backend, "", errors.New("the backend is empty"))
	}
	return p
}
