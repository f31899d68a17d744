package rollout

import (
	"context"
	"errors"
	"fmt"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/shell"
	"github.com/drover-sh/drover/internal/target"
	"github.com/drover-sh/drover/internal/transport"
)

// Farm is the connected hosts of a command. The caller of Connect closes
// it; a run closes its own.
type Farm struct {
	Hosts    []inventory.Host
	Conns    map[string]transport.Conn
	Problems []engine.HostProblem // the hosts pre-flight could not use
	RunID    string               // the run that holds the farm; "" outside a run
}

// Close closes every connection.
func (f *Farm) Close() {
	if f == nil {
		return
	}
	for _, c := range f.Conns {
		c.Close()
	}
}

// preflightParallel is how many hosts pre-flight dials at once.
const preflightParallel = 64

// Dial is how a command reaches its hosts.
type Dial struct {
	Target target.Options
	Env    target.Env
	// Learn is told every password or passphrase typed, before it is
	// used (the redactor).
	Learn func(string)
	// Transcripts says each host also has a --log-dir transcript open.
	Transcripts bool
	Problems    func([]engine.HostProblem) // shown the hosts that could not be used
}

// Connect resolves the targets and connects to every host, as a run's
// pre-flight does, for a command that reads or fixes hosts without a
// runbook. Unknown or changed host keys refuse the command; unreachable
// hosts are in the Farm's Problems.
func Connect(ctx context.Context, d Dial) (*Farm, error) {
	hosts, _, err := d.Target.Resolve(d.Env, "")
	if err != nil {
		return nil, invalid(err)
	}
	return d.connect(ctx, hosts)
}

// connect dials every host of hosts.
func (d Dial) connect(ctx context.Context, hosts []inventory.Host) (*Farm, error) {
	perHost := 1 // its connection
	if d.Transcripts {
		perHost = 2
	}
	if err := checkDescriptors(len(hosts), perHost); err != nil {
		return nil, err
	}
	budgetMemory(len(hosts))
	f, err := d.Probe(ctx, hosts)
	if err != nil {
		return nil, err
	}
	if len(f.Problems) > 0 && d.Problems != nil {
		d.Problems(f.Problems)
	}
	if err := hostKeyError(f.Problems); err != nil {
		f.Close()
		return nil, refused(err)
	}
	return f, nil
}

// Probe connects to every host of hosts as pre-flight does and keeps what
// it finds, whatever the host keys: for showing what each connection
// negotiated or why it failed. The caller closes the farm.
func (d Dial) Probe(ctx context.Context, hosts []inventory.Host) (*Farm, error) {
	dialer, err := d.Target.Dialer(d.Env, d.Learn, hosts)
	if err != nil {
		return nil, invalid(err)
	}
	conns, problems := engine.Preflight(ctx, dialer, hosts, preflightParallel)
	f := &Farm{Hosts: hosts, Conns: conns, Problems: problems}
	if ctx.Err() != nil {
		f.Close()
		return nil, interrupted(ctx)
	}
	return f, nil
}

// hostKeyError is the error for unknown or changed host keys, with a hint.
func hostKeyError(problems []engine.HostProblem) error {
	var unknown, changed int
	var first *transport.HostKeyError // the first changed one
	for _, pr := range problems {
		var k *transport.HostKeyError
		if errors.As(pr.Err, &k) {
			if k.Problem == transport.HostKeyUnknown {
				unknown++
			} else {
				changed++ // changed or revoked: never accepted
				if first == nil && k.Problem == transport.HostKeyChanged {
					first = k
				}
			}
		}
	}
	switch {
	case changed > 0:
		remove := "ssh-keygen -R HOST -f FILE"
		if first != nil && first.File != "" {
			remove = "ssh-keygen -R " + shell.Quote(first.Host) + " -f " + shell.Quote(first.File)
			if changed > 1 {
				remove += ", and so on for each"
			}
		}
		return hinted(fmt.Errorf("%d host key(s) changed: nothing was run", changed),
			"a changed key is never accepted; if a host was really reinstalled, remove its old line with %s", remove)
	case unknown > 0:
		return hinted(fmt.Errorf("%d host key(s) unknown: nothing was run", unknown),
			"check the fingerprints above, then run again with --accept-new-host-keys to record them")
	}
	return nil
}
