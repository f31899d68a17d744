package cli

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/plan"
)

// checkLBs connects the via hosts of the plan's load balancers that are
// not targeted, then reads every load balancer's backend: an unknown
// backend or server stops the run (exit 2) before anything changed.
func (p *prepared) checkLBs(ctx context.Context, env *env, req *runRequest) error {
	if len(p.plan.HAProxy) == 0 {
		return nil
	}
	if err := p.connectVias(ctx, env, req); err != nil {
		return err
	}
	if err := engine.CheckHAProxy(ctx, p.plan, p.conns); err != nil {
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		return usageErr(withHint(err, "check [haproxy] backend and server in the runbook against the load balancer's configuration"))
	}
	return nil
}

// connectVias dials the via hosts that are not among the targets; they
// must be hosts of the inventory.
func (p *prepared) connectVias(ctx context.Context, env *env, req *runRequest) error {
	var vias []string
	for _, lb := range p.plan.HAProxy {
		if lb.Via != "" && p.conns[lb.Via] == nil && !slices.Contains(vias, lb.Via) {
			vias = append(vias, lb.Via)
		}
	}
	if len(vias) == 0 {
		return nil
	}
	hosts, err := req.target.Vias(env.target(), vias)
	if err != nil {
		return usageErr(err)
	}
	dialer, err := req.target.dialer(env, p.redactor.Add, hosts)
	if err != nil {
		return err
	}
	conns, problems := engine.Preflight(ctx, dialer, hosts, 0)
	for name, c := range conns {
		p.conns[name] = c
	}
	if len(problems) > 0 {
		pr := problems[0]
		return usageErr(fmt.Errorf("haproxy via %s: %w", pr.Host, pr.Err))
	}
	return nil
}

// writeLBs lists, for drover plan, the load balancers haproxy steps act on
// together and each host's server there.
func writeLBs(w io.Writer, pl *plan.Plan) {
	if len(pl.HAProxy) == 0 {
		return
	}
	fmt.Fprintf(w, "\nload balancers (haproxy steps act on each):\n")
	for _, lb := range pl.HAProxy {
		via := ""
		if lb.Via != "" {
			via = " via " + lb.Via
		}
		fmt.Fprintf(w, "  %s%s\n", lb.Name(), via)
		for _, h := range pl.Hosts {
			fmt.Fprintf(w, "    %s -> server %s/%s\n", h.Name, lb.Backend, lb.Servers[h.Name])
		}
	}
}
