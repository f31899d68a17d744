package runbook

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/drover-sh/drover/internal/plan"
)

// lb is one [haproxy] table; server is the template of the host's server
// name in the backend.
type lb struct {
	base   plan.HAProxy // Servers unset
	server text
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
	l.base.Socket, _ = d.str(t, "socket")
	switch s := l.base.Socket; {
	case !t.has("socket"):
		d.errorf(t.path, "%s needs socket = \"HOST:PORT\" or a unix socket path", t.name)
	case !strings.HasPrefix(s, "/"):
		if _, _, err := net.SplitHostPort(s); err != nil {
			d.keyErrorf(t, "socket", "%q is neither HOST:PORT nor a unix socket path (starting with /)", s)
		}
	}
	l.base.Via, _ = d.str(t, "via")
	l.base.Backend, _ = d.str(t, "backend")
	if !t.has("backend") || l.base.Backend == "" {
		d.errorf(t.path, "%s needs backend = \"NAME\"", t.name)
	}
	l.server = d.text(t, "server", d.refs)
	if !l.server.set {
		l.server = text{set: true, src: defaultServer, path: t.keyPath("server"), where: t.where("server")}
	}
	d.finish(t)
	return l
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

// haproxyPlan renders the server names of every host.
func (r *renderer) haproxyPlan(params map[string]string) []plan.HAProxy {
	out := make([]plan.HAProxy, 0, len(r.rb.lbs))
	for _, l := range r.rb.lbs {
		p := l.base
		p.Servers = make(map[string]string, len(r.opts.Hosts))
		for _, h := range r.opts.Hosts {
			p.Servers[h.Name], _ = r.render(l.server, h.Name, r.hostData(params, h))
		}
		out = append(out, p)
	}
	return out
}
