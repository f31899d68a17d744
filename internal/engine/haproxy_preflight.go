package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/haproxy"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// CheckHAProxy reads `show servers state` of every load balancer of p, all
// at once, and reports together every one it cannot reach, every backend
// it does not have and every targeted host whose server is not in the
// backend. It changes nothing; the caller runs it before the first step,
// so that a typo in a backend or server name stops the run while every
// server is still as it was. conns must hold the connection of each
// load balancer's via host.
func CheckHAProxy(ctx context.Context, p *plan.Plan, conns map[string]transport.Conn) error {
	errs := make([]error, len(p.HAProxy))
	var wg sync.WaitGroup
	for i, lb := range p.HAProxy {
		wg.Go(func() { errs[i] = checkLB(ctx, lbClient(lb, conns), lbNeeds(p, lb)) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lbServer is a server a run may act on, and the host it stands for.
type lbServer struct{ server, host string }

// lbNeeds lists by backend the servers the run may act on at one load
// balancer: each host's server in the table's backend, and the backend and
// server of every haproxy step that names its own.
func lbNeeds(p *plan.Plan, lb plan.HAProxy) map[string][]lbServer {
	need := map[string][]lbServer{}
	add := func(backend string, s lbServer) {
		if !slices.Contains(need[backend], s) {
			need[backend] = append(need[backend], s)
		}
	}
	for _, h := range p.Hosts {
		add(lb.Backend, lbServer{lb.Servers[h.Name], h.Name})
		for _, st := range p.Stages {
			for _, step := range slices.Concat(st.StepsFor(h.Name), st.UndoFor(h.Name)) {
				if step.Kind == plan.KindHAProxy && (step.Backend != "" || step.Server != "") {
					b, s := lbTarget(lb, h.Name, step)
					add(b, lbServer{s, h.Name})
				}
			}
		}
	}
	return need
}

// checkLB reads each backend's servers once and reports what is missing.
func checkLB(ctx context.Context, c *haproxy.Client, need map[string][]lbServer) error {
	var errs []error
	for _, backend := range slices.Sorted(maps.Keys(need)) {
		have, err := c.Servers(ctx, backend)
		if errors.Is(err, haproxy.ErrNoBackend) {
			errs = append(errs, fmt.Errorf("haproxy %s has no backend %q", c.Name, backend))
			continue
		}
		if err != nil {
			return fmt.Errorf("haproxy pre-flight: %w", err)
		}
		if err := missingServers(c.Name, backend, have, need[backend]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func missingServers(lbName, backend string, have []string, want []lbServer) error {
	var missing []string
	for _, w := range want {
		switch {
		case slices.Contains(have, w.server):
		case w.server == w.host:
			missing = append(missing, w.server)
		default:
			missing = append(missing, fmt.Sprintf("%s (host %s)", w.server, w.host))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("haproxy %s: backend %s has no server %s (it has %s)",
		lbName, backend, strings.Join(missing, ", "), strings.Join(have, ", "))
}
