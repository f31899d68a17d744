package inventory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/drover-sh/drover/internal/transport"
)

var errJumpLoop = fmt.Errorf("jump chain longer than %d hops or a loop in ssh_config ProxyJump", maxJumps)

// jumps resolves a host's ProxyJump chain (inventory host, inventory
// defaults, then ssh_config), first hop first. "none" means no jump.
func (r *resolver) jumps(alias string, entry HostEntry, target transport.Endpoint) ([]transport.Endpoint, string, error) {
	c := pick(choice{entry.Jump, OriginHost}, choice{r.defaults.Jump, OriginDefaults},
		sshChoice(r.local.SSHConfig, alias, "ProxyJump"))
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
// Key and known_hosts files it has none of are the target's.
func (r *resolver) hop(spec string, target transport.Endpoint, depth int) ([]transport.Endpoint, error) {
	if depth >= maxJumps {
		return nil, errJumpLoop
	}
	t, err := ParseTarget(strings.TrimPrefix(spec, "ssh://"))
	if err != nil {
		return nil, err
	}
	ssh, entry := r.local.SSHConfig, r.entries[t.Host]
	ep := transport.Endpoint{Name: t.Host}
	host := pick(choice{entry.HostName, OriginHost}, sshChoice(ssh, t.Host, "HostName"), choice{t.Host, OriginDefault})
	ep.Host = expandTokens(host.val, map[byte]string{'h': t.Host})
	ep.User = pick(choice{t.User, OriginTarget}, choice{entry.User, OriginHost},
		sshChoice(ssh, t.Host, "User"), choice{r.local.User, OriginDefault}).val
	port := pick(choice{portString(t.Port), OriginTarget}, choice{portString(entry.Port), OriginHost},
		sshChoice(ssh, t.Host, "Port"), choice{"22", OriginDefault})
	if err := checkPort(port.val); err != nil {
		return nil, fmt.Errorf("jump host %s: port from %s: %w", t.Host, port.origin, err)
	}
	ep.Port, _ = strconv.Atoi(port.val)
	tokens := map[byte]string{'h': ep.Host, 'n': t.Host, 'r': ep.User, 'u': r.local.User, 'd': r.local.Home, 'p': port.val}
	ep.Identities = r.hopFiles(entry.Identity, ssh, t.Host, "IdentityFile", tokens, target.Identities)
	ep.KnownHosts = r.hopFiles(entry.KnownHosts, ssh, t.Host, "UserKnownHostsFile", tokens, target.KnownHosts)

	own := pick(choice{entry.Jump, OriginHost}, sshChoice(ssh, t.Host, "ProxyJump"))
	if own.val == "" || strings.EqualFold(own.val, "none") {
		return []transport.Endpoint{ep}, nil
	}
	pre, err := r.chain(own.val, target, depth+1)
	if err != nil {
		if errors.Is(err, errJumpLoop) {
			return nil, err
		}
		return nil, fmt.Errorf("jump host %s: %w", t.Host, err)
	}
	return append(pre, ep), nil
}

// hopFiles picks a jump host's key or known_hosts files: its inventory
// entry, else ssh_config (IdentityFile may repeat; UserKnownHostsFile is a
// list), else the target's.
func (r *resolver) hopFiles(invVal string, ssh *SSHConfig, alias, key string, tokens map[byte]string, fallback []string) []string {
	if invVal != "" {
		return []string{r.settingPath(choice{invVal, OriginHost})}
	}
	vals, _ := ssh.values(alias, key)
	if key == "UserKnownHostsFile" && len(vals) > 0 {
		vals = strings.Fields(vals[0])
	}
	if len(vals) > 0 {
		return r.paths(vals, tokens)
	}
	return fallback
}
