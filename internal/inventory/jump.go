package inventory

import (
	"fmt"
	"strings"

	"github.com/drover-sh/drover/internal/transport"
)

// maxJumps bounds a ProxyJump chain, which also stops ssh_config loops.
const maxJumps = 8

var errJumpLoop = fmt.Errorf("jump chain longer than %d hops or a loop in ssh_config ProxyJump", maxJumps)

// jumps resolves the ProxyJump chain of the endpoint s describes (inventory
// host, inventory defaults, then ssh_config), first hop first, and says
// where it came from. "none" means no jump.
func (r *resolver) jumps(s source, target transport.Endpoint) ([]transport.Endpoint, string, error) {
	c := r.jumpSpec(s)
	if c.val == "" {
		return nil, OriginDefault, nil
	}
	if strings.EqualFold(c.val, "none") {
		return nil, c.origin, nil
	}
	chain, err := r.chain(c.val, target, 0)
	if err != nil {
		return nil, "", fmt.Errorf("jump %q from %s: %w", c.val, c.origin, err)
	}
	return chain, c.origin, nil
}

func (r *resolver) jumpSpec(s source) choice {
	return pick(choice{s.entry.Jump, OriginHost}, choice{s.defaults.Jump, OriginDefaults},
		sshChoice(r.local.SSHConfig, s.target.Host, "ProxyJump"))
}

// chain resolves a comma list of jump hosts.
func (r *resolver) chain(spec string, target transport.Endpoint, depth int) ([]transport.Endpoint, error) {
	var out []transport.Endpoint
	for _, hop := range SplitList(spec) {
		eps, err := r.hop(hop, target, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, eps...)
	}
	if len(out) > maxJumps {
		return nil, errJumpLoop
	}
	return out, nil
}

// hop resolves one jump host as ssh would for "ssh -J": through its own
// inventory [hosts] entry and ssh_config, preceded by its own jump chain.
// A jump host the inventory lists is an inventory host, so [defaults]
// apply to it too (all but jump, which would make it its own hop). Key and
// known_hosts files it has none of are the target's.
func (r *resolver) hop(spec string, target transport.Endpoint, depth int) ([]transport.Endpoint, error) {
	if depth >= maxJumps {
		return nil, errJumpLoop
	}
	t, err := ParseTarget(strings.TrimPrefix(spec, "ssh://"))
	if err != nil {
		return nil, err
	}
	s := source{target: t}
	if entry, listed := r.entries[t.Host]; listed {
		s.entry, s.defaults = entry, r.defaults
		s.defaults.Jump = ""
	}
	ep, _, err := r.endpoint(s, files{paths: target.Identities}, files{paths: target.KnownHosts})
	if err != nil {
		return nil, fmt.Errorf("jump host %s: %w", t.Host, err)
	}
	own := r.jumpSpec(s)
	if own.val == "" || strings.EqualFold(own.val, "none") {
		return []transport.Endpoint{ep}, nil
	}
	pre, err := r.chain(own.val, target, depth+1)
	if err != nil {
		return nil, err
	}
	return append(pre, ep), nil
}
