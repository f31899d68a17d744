package cli

import (
	"context"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/ui"
)

// farmConns are the connections of a command that reads or fixes hosts
// without a runbook (releases, unlock). The caller closes them.
type farmConns struct {
	hosts    []inventory.Host
	conns    map[string]transport.Conn
	problems []engine.HostProblem
}

func (f *farmConns) close() { closeAll(f.conns) }

// connectTargets resolves the target flags and connects to every host.
// Problems are shown as one table; unknown or changed host keys refuse the
// command (exit 2) and Ctrl-C ends it (exit 130).
func connectTargets(ctx context.Context, env *env, target targetOptions, out outputOptions) (*farmConns, error) {
	hosts, _, err := target.resolve(env, "")
	if err != nil {
		return nil, err
	}
	if err := checkDescriptors(len(hosts), descriptorsPerHost(out)); err != nil {
		return nil, err
	}
	dialer, err := target.dialer(env, nil, hosts)
	if err != nil {
		return nil, err
	}
	conns, problems := engine.Preflight(ctx, dialer, hosts, preflightParallel)
	f := &farmConns{hosts: hosts, conns: conns, problems: problems}
	if ctx.Err() != nil {
		f.close()
		return nil, interrupted(ctx)
	}
	if len(problems) > 0 {
		ui.Problems(env.stderr, ui.NewStyle(env.stderr, out.color(env)), problemRows(problems))
	}
	if err := hostKeyError(problems); err != nil {
		f.close()
		return nil, refused(err)
	}
	return f, nil
}

func closeAll(conns map[string]transport.Conn) {
	for _, c := range conns {
		c.Close()
	}
}
