package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/haproxy"
	"github.com/drover-sh/drover/internal/inventory"
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
		wg.Go(func() { errs[i] = checkLB(ctx, lb, p.Hosts, conns) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func checkLB(ctx context.Context, lb plan.HAProxy, hosts []inventory.Host, conns map[string]transport.Conn) error {
	c := lbClient(lb, conns)
	have, err := c.Servers(ctx, lb.Backend)
	if errors.Is(err, haproxy.ErrNoBackend) {
		return fmt.Errorf("haproxy %s has no backend %q", lb.Socket, lb.Backend)
	}
	if err != nil {
		return fmt.Errorf("haproxy pre-flight: %w", err)
	}
	var missing []string
	for _, h := range hosts {
		switch s := lb.Servers[h.Name]; {
		case slices.Contains(have, s):
		case s == h.Name:
			missing = append(missing, s)
		default:
			missing = append(missing, fmt.Sprintf("%s (host %s)", s, h.Name))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("haproxy %s: backend %s has no server %s (it has %s)",
			lb.Socket, lb.Backend, strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	return nil
}
