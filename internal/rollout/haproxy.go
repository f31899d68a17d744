package rollout

import (
	"context"
	"fmt"
	"slices"

	"github.com/drover-sh/drover/internal/engine"
)

// connect dials every targeted host, then checks the load balancers. Host
// key problems stop the run; unreachable hosts are failed hosts of the run.
func (r *run) connect(ctx context.Context) error {
	d := r.dial()
	f, err := d.connect(ctx, r.hosts)
	if err != nil {
		return err
	}
	f.RunID = r.runID
	r.farm = f
	if err := r.checkLBs(ctx, d); err != nil {
		f.Close()
		return err
	}
	return nil
}

// dial is how the run reaches its hosts.
func (r *run) dial() Dial {
	return Dial{Target: r.opts.Target, Env: r.opts.Env, Learn: r.redactor.Add, Transcripts: r.opts.LogDir != "",
		Problems: r.opts.Problems}
}

// checkLBs connects the via hosts of the plan's load balancers that are
// not targeted, then reads every load balancer's backend: an unknown
// backend or server stops the run before anything changed.
func (r *run) checkLBs(ctx context.Context, d Dial) error {
	if len(r.plan.HAProxy) == 0 {
		return nil
	}
	if err := r.connectVias(ctx, d); err != nil {
		return err
	}
	if err := engine.CheckHAProxy(ctx, r.plan, r.farm.Conns); err != nil {
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
		return invalid(hinted(err, "check [haproxy] backend and server in the runbook against the load balancer's configuration"))
	}
	return nil
}

// connectVias dials the via hosts that are not among the targets; they
// must be hosts of the inventory.
func (r *run) connectVias(ctx context.Context, d Dial) error {
	var vias []string
	for _, lb := range r.plan.HAProxy {
		if lb.Via != "" && r.farm.Conns[lb.Via] == nil && !slices.Contains(vias, lb.Via) {
			vias = append(vias, lb.Via)
		}
	}
	if len(vias) == 0 {
		return nil
	}
	hosts, err := d.Target.Vias(d.Env, vias)
	if err != nil {
		return invalid(err)
	}
	dialer, err := d.Target.Dialer(d.Env, d.Learn, hosts)
	if err != nil {
		return invalid(err)
	}
	conns, problems := engine.Preflight(ctx, dialer, hosts, 0)
	for name, c := range conns {
		r.farm.Conns[name] = c
	}
	if len(problems) > 0 {
		pr := problems[0]
		return invalid(fmt.Errorf("haproxy via %s: %w", pr.Host, pr.Err))
	}
	return nil
}
