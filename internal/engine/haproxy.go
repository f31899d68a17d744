package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/haproxy"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// haproxyPoll is how often a haproxy step with wait = true looks again.
const haproxyPoll = 100 * time.Millisecond

// haproxy drains, disables or enables the host's server on every load
// balancer of the plan, all together.
func (hr *hostRun) haproxy(ctx context.Context, st plan.Step) outcome {
	ctx, cancel := context.WithTimeout(ctx, st.Timeout)
	defer cancel()
	lbs := hr.s.r.plan.HAProxy
	errs := make([]error, len(lbs))
	var wg sync.WaitGroup
	for i, lb := range lbs {
		wg.Go(func() { errs[i] = hr.s.r.lbAct(ctx, lb, hr.h.name, st) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return failed(err)
	}
	for _, lb := range lbs {
		backend, server := lbTarget(lb, hr.h.name, st)
		hr.output(commandOpts{step: st.Name}, fmt.Sprintf("%s/%s %s on %s", backend, server, doneWord(st.Arg), lb.Socket))
	}
	return okOutcome
}

// lbTarget is the backend and the server a haproxy step acts on for host:
// the step's own, else the load balancer's.
func lbTarget(lb plan.HAProxy, host string, st plan.Step) (backend, server string) {
	backend, server = cmp.Or(st.Backend, lb.Backend), cmp.Or(st.Server, lb.Servers[host])
	return backend, server
}

func doneWord(action string) string {
	switch action {
	case "drain":
		return "drained"
	case "disable":
		return "disabled"
	}
	return "enabled"
}

// lbAct runs one haproxy step on one load balancer.
func (r *runner) lbAct(ctx context.Context, lb plan.HAProxy, host string, st plan.Step) error {
	c := r.lbClient(lb)
	backend, server := lbTarget(lb, host, st)
	state := map[string]haproxy.State{"drain": haproxy.Drain, "disable": haproxy.Maint, "enable": haproxy.Ready}[st.Arg]
	mk := lbMark{lb: lb, backend: backend, server: server, host: host}
	if state != haproxy.Ready {
		before, err := c.Stat(ctx, backend, server)
		if err != nil {
			return err
		}
		mk.before = before
		r.lbMarks.drained(mk)
	}
	if err := c.SetState(ctx, backend, server, state); err != nil {
		return err
	}
	if state == haproxy.Ready {
		r.lbMarks.enabled(mk)
	}
	if !st.Wait {
		return nil
	}
	return waitServer(ctx, c, backend, server, state == haproxy.Ready)
}

// waitServer waits until the server is UP (up) or has no current session.
func waitServer(ctx context.Context, c *haproxy.Client, backend, server string, up bool) error {
	var last haproxy.Stat
	for {
		s, err := c.Stat(ctx, backend, server)
		if err == nil {
			last = s
			if (up && s.Up()) || (!up && s.Sessions == 0) {
				return nil
			}
		}
		if !wait(ctx, haproxyPoll) {
			if up {
				return fmt.Errorf("%s/%s on %s not UP in time (status %s)", backend, server, c.Name, last.Status)
			}
			return fmt.Errorf("%s/%s on %s still has %d sessions", backend, server, c.Name, last.Sessions)
		}
	}
}

// lbClient reaches a load balancer's runtime API of this run.
func (r *runner) lbClient(lb plan.HAProxy) *haproxy.Client { return lbClient(lb, r.conns) }

// lbClient reaches a load balancer's runtime API: through the via host's
// SSH connection, or from here.
func lbClient(lb plan.HAProxy, conns map[string]transport.Conn) *haproxy.Client {
	network := "tcp"
	if strings.HasPrefix(lb.Socket, "/") {
		network = "unix"
	}
	dial := func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, lb.Socket)
	}
	if lb.Via != "" {
		dial = func(ctx context.Context) (net.Conn, error) {
			conn := conns[lb.Via]
			if conn == nil {
				return nil, fmt.Errorf("via %s: not connected", lb.Via)
			}
			return transport.DialVia(ctx, conn, network, lb.Socket)
		}
	}
	return &haproxy.Client{Dial: dial, Name: lb.Socket}
}

// lbMarks remembers the servers drover drained or disabled and not enabled
// again, with whether they were UP before and whether their host changed
// since.
type lbMarks struct {
	mu sync.Mutex
	m  map[string]*lbMark // by lbMark.key
}

type lbMark struct {
	lb              plan.HAProxy
	backend, server string
	host            string
	before          haproxy.Stat // as drover first found it
	// changed says why the host may not serve: a step changed it after
	// the drain, or its probe failed, and no http probe passed since. ""
	// while the app is as it was or answered its probe, so the server can
	// take traffic again.
	changed string
}

// key names the server on its load balancer.
func (mk lbMark) key() string { return mk.lb.Socket + " " + mk.backend + "/" + mk.server }

func (m *lbMarks) drained(mk lbMark) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]*lbMark{}
	}
	if _, ok := m.m[mk.key()]; !ok {
		m.m[mk.key()] = &mk
	}
}

func (m *lbMarks) enabled(mk lbMark) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, mk.key())
}

// stepDone records a step that ran on host. A step that may change the
// host (not a haproxy, http, pause or confirm step) or a failed http probe
// makes its drained servers unsafe to enable, until an http probe passes.
func (m *lbMarks) stepDone(host string, st plan.Step, res event.Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mk := range m.m {
		if mk.host != host {
			continue
		}
		switch st.Kind {
		case plan.KindHAProxy, plan.KindPause, plan.KindConfirm:
		case plan.KindHTTP:
			mk.changed = ""
			switch res {
			case event.OK:
			case event.Interrupted:
				mk.changed = fmt.Sprintf("its http probe %q was interrupted before it passed", st.Name)
			default:
				mk.changed = fmt.Sprintf("its http probe %q did not pass", st.Name)
			}
		default:
			if res != event.Skipped {
				mk.changed = fmt.Sprintf("%q ran on %s after the drain and no http probe passed since", st.Name, host)
			}
		}
	}
}

func (m *lbMarks) left() []lbMark {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []lbMark
	for _, mk := range m.m {
		out = append(out, *mk)
	}
	slices.SortFunc(out, func(a, b lbMark) int { return strings.Compare(a.key(), b.key()) })
	return out
}

// restoreLBs, at the end of a run, enables again every server drover
// drained and did not enable, when it was UP before and its host is as
// it was or passed an http probe since; it says which it leaves out and
// why.
func (r *runner) restoreLBs(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	for _, mk := range r.lbMarks.left() {
		what := fmt.Sprintf("haproxy: %s/%s on %s", mk.backend, mk.server, mk.lb.Socket)
		switch {
		case !mk.before.Up():
			r.lbNote(mk, what+" left as drover found it: it was "+mk.before.Status+" before the run")
		case mk.changed != "":
			r.lbNote(mk, fmt.Sprintf("%s left drained: %s; once it serves, enable it with `set server %s/%s state ready`",
				what, mk.changed, mk.backend, mk.server))
		default:
			err := r.lbClient(mk.lb).SetState(ctx, mk.backend, mk.server, haproxy.Ready)
			if err != nil {
				r.lbNote(mk, what+" left drained: enabling failed: "+err.Error())
				continue
			}
			r.lbMarks.enabled(mk)
			r.lbNote(mk, what+" enabled again: drover drained it, it was UP before the run and "+mk.host+" is serving as it was")
		}
	}
}

func (r *runner) lbNote(mk lbMark, text string) {
	r.em.emit(event.Event{Kind: event.Note, Host: mk.host, Text: text})
}
