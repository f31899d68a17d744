package inventory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/drover-sh/drover/internal/transport"
)

// maxJumps bounds a ProxyJump chain, which also stops ssh_config loops.
const maxJumps = 8

var errJumpLoop = fmt.Errorf("jump chain longer than %d hops or a loop in ssh_config ProxyJump", maxJumps)

// jumps resolves a ProxyJump chain, first hop first. "" and "none" are no
// jump.
func (r *resolver) jumps(spec choice, fb fallback) ([]transport.Endpoint, error) {
	if spec.val == "" || strings.EqualFold(spec.val, "none") {
		return nil, nil
	}
	chain, err := r.chain(spec.val, fb, 0)
	if err != nil {
		return nil, fmt.Errorf("jump %q from %s: %w", spec.val, spec.origin, err)
	}
	return chain, nil
}

// chain resolves "a,b,c" as ssh does: ssh reaches the target through
// `ssh -J a,b c`, so c is resolved with "a,b" as its jump (its own
// ProxyJump and ProxyCommand do not apply), b likewise with "a", and only
// the first hop follows its own ProxyJump from ssh_config.
func (r *resolver) chain(spec string, fb fallback, depth int) ([]transport.Endpoint, error) {
	if depth >= maxJumps {
		return nil, errJumpLoop
	}
	hops := SplitList(spec)
	if len(hops) == 0 {
		return nil, errors.New("empty jump host")
	}
	last := hops[len(hops)-1]
	rest := strings.Join(hops[:len(hops)-1], ",")
	ep, own, err := r.hop(last, rest, fb)
	if err != nil {
		return nil, err
	}
	if own.val == "" || strings.EqualFold(own.val, "none") {
		return []transport.Endpoint{ep}, nil
	}
	pre, err := r.chain(own.val, fb, depth+1)
	if err != nil {
		return nil, err
	}
	if out := append(pre, ep); len(out) <= maxJumps {
		return out, nil
	}
	return nil, errJumpLoop
}

// hop resolves one jump host as ssh would for `ssh -J rest -l user -p
// port host`: through its own inventory [hosts] entry and ssh_config. A
// jump host the inventory lists is an inventory host, so [defaults] apply
// to it too (all but jump, which would make it its own hop). It returns
// the jump chain in front of it.
func (r *resolver) hop(spec, rest string, fb fallback) (transport.Endpoint, choice, error) {
	t, err := parseJumpHop(spec)
	if err != nil {
		return transport.Endpoint{}, choice{}, err
	}
	s := source{target: t}
	if entry, listed := r.entries[t.Host]; listed {
		s.entry, s.defaults = entry, r.defaults
		s.defaults.Jump = ""
	}
	if rest != "" {
		s.jump = choice{rest, OriginTarget}
	}
	ep, _, cfg, err := r.endpoint(s, fb)
	if err != nil {
		return transport.Endpoint{}, choice{}, fmt.Errorf("jump host %s: %w", t.Host, err)
	}
	return ep, cfg.jump, nil
}

// parseJumpHop reads one ProxyJump hop: [user@]host[:port], the host
// possibly in brackets ([::1]:2222), or ssh://[user@]host[:port].
func parseJumpHop(s string) (Target, error) {
	bad := fmt.Errorf("jump host %q: want [user@]host[:port]", s)
	s = strings.TrimPrefix(s, "ssh://")
	var t Target
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		t.User, s = s[:i], s[i+1:]
		if t.User == "" {
			return Target{}, bad
		}
	}
	port := ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return Target{}, bad
		}
		t.Host, s = s[1:end], s[end+1:]
		if s != "" && !strings.HasPrefix(s, ":") {
			return Target{}, bad
		}
		port = strings.TrimPrefix(s, ":")
	} else if strings.Count(s, ":") == 1 {
		t.Host, port, _ = strings.Cut(s, ":")
	} else {
		t.Host = s
	}
	if t.Host == "" {
		return Target{}, bad
	}
	if port != "" {
		if checkPort(port) != nil {
			return Target{}, fmt.Errorf("jump host %q: bad port %q", s, port)
		}
		t.Port, _ = strconv.Atoi(port)
	}
	return t, nil
}
