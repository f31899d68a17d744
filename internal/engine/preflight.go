package engine

import (
	"context"
	"fmt"
	"sync"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/transport"
)

// HostProblem is a host pre-flight could not connect to. Err is a
// *transport.HostKeyError for an unknown or changed host key, another
// error for an unreachable host.
type HostProblem struct {
	Host string
	Err  error
}

// Preflight connects to every host, at most parallel at a time (0: all at
// once). It returns the connections that worked, which the caller closes,
// and the problems in host order. Cancelling ctx stops dialling; hosts not
// dialled yet come back as problems with ctx's error.
func Preflight(ctx context.Context, d transport.Dialer, hosts []inventory.Host, parallel int) (map[string]transport.Conn, []HostProblem) {
	if parallel <= 0 {
		parallel = len(hosts)
	}
	conns := make([]transport.Conn, len(hosts))
	errs := make([]error, len(hosts))
	slots := make(chan struct{}, max(1, parallel))
	var wg sync.WaitGroup
	for i, h := range hosts {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			errs[i] = fmt.Errorf("connect to %s: %w", h.Name, context.Cause(ctx))
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			growStack()
			conns[i], errs[i] = d.Dial(ctx, h.Endpoint)
		})
	}
	wg.Wait()
	return collectConns(hosts, conns, errs)
}

func collectConns(hosts []inventory.Host, conns []transport.Conn, errs []error) (map[string]transport.Conn, []HostProblem) {
	ok := map[string]transport.Conn{}
	var problems []HostProblem
	for i, h := range hosts {
		if errs[i] != nil {
			problems = append(problems, HostProblem{Host: h.Name, Err: errs[i]})
			continue
		}
		ok[h.Name] = conns[i]
	}
	return ok, problems
}
