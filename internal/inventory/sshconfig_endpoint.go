package inventory

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// endpointBuilder fills one transport.Endpoint from an ssh_config
// evaluation whose presets were the layers above ssh_config, and records
// where each setting came from.
type endpointBuilder struct {
	r      *resolver
	ev     *sshEval
	s      source
	ep     transport.Endpoint
	origin map[string]string
	tok    tokens // ssh.c's DEFAULT_CLIENT_PERCENT_EXPAND_ARGS, once the address is known
}

// address resolves HostName, User and Port.
func (b *endpointBuilder) address() error {
	o := b.ev.o.scalar
	host, err := b.ev.expandedHostName()
	if err != nil {
		return err
	}
	b.ep = transport.Endpoint{Name: b.s.target.Host, Host: host}
	b.origin[SettingHost] = cmpOr(o["hostname"].origin, OriginDefault)
	user := pick(o["user"], choice{b.r.local.User, OriginDefault})
	port := pick(o["port"], choice{"22", OriginDefault})
	b.ep.User, b.origin[SettingUser] = user.val, user.origin
	b.ep.Port, _ = strconv.Atoi(port.val)
	b.origin[SettingPort] = port.origin

	alias := strings.ToLower(o["hostkeyalias"].val)
	jump := b.ev.jumpHost()
	b.tok = b.r.local.tokens()
	b.tok['h'], b.tok['n'], b.tok['p'], b.tok['r'], b.tok['j'] = host, b.ev.hostArg, port.val, user.val, jump
	b.tok['k'] = cmpOr(alias, b.ev.hostArg)
	b.tok['C'] = connectionHash(b.r.local.Hostname, host, port.val, user.val, jump)
	return nil
}

// auth resolves IdentityFile, CertificateFile, IdentitiesOnly and
// IdentityAgent. A key file named by a flag or the inventory replaces
// ssh_config's.
func (b *endpointBuilder) auth(fb fallback) error {
	s := b.s
	ids, err := b.files("identityfile", fb.identities,
		choice{s.flags.Identity, OriginFlag}, choice{s.entry.Identity, OriginHost}, choice{s.defaults.Identity, OriginDefaults})
	if err != nil {
		return err
	}
	b.ep.Identities, b.origin[SettingIdentity] = ids.paths, ids.origin
	certs, err := b.files("certificatefile", files{origin: OriginDefault})
	if err != nil {
		return err
	}
	b.ep.Certificates, b.origin[SettingCertificate] = certs.paths, certs.origin
	o := b.ev.o.scalar
	b.ep.IdentitiesOnly = o["identitiesonly"].val == "yes"
	b.origin[SettingIdentitiesOnly] = cmpOr(o["identitiesonly"].origin, OriginDefault)
	agent, err := b.identityAgent(o["identityagent"])
	if err != nil {
		return err
	}
	b.ep.IdentityAgent = agent
	b.origin[SettingIdentityAgent] = cmpOr(o["identityagent"].origin, OriginDefault)
	return nil
}

// identityAgent expands IdentityAgent as ssh does: "SSH_AUTH_SOCK" is the
// default socket, "$VAR" a variable's value (unset: no agent), else a path
// with ~, tokens and ${VAR}.
func (b *endpointBuilder) identityAgent(c choice) (string, error) {
	switch {
	case c.val == "" || c.val == "SSH_AUTH_SOCK":
		return "", nil
	case strings.EqualFold(c.val, "none"):
		return "none", nil
	case strings.HasPrefix(c.val, "$") && !strings.HasPrefix(c.val, "${"):
		if v, ok := b.r.local.lookupEnv(c.val[1:]); ok && v != "" {
			return v, nil
		}
		return "none", nil
	}
	return b.expandPath(c)
}

// hostKeys resolves UserKnownHostsFile, GlobalKnownHostsFile,
// HostKeyAlias, StrictHostKeyChecking and HashKnownHosts.
func (b *endpointBuilder) hostKeys(fb fallback) error {
	s := b.s
	kh, err := b.files("userknownhostsfile", fb.knownHosts,
		choice{s.flags.KnownHosts, OriginFlag}, choice{s.entry.KnownHosts, OriginHost}, choice{s.defaults.KnownHosts, OriginDefaults})
	if err != nil {
		return err
	}
	b.ep.KnownHosts, b.origin[SettingKnownHosts] = kh.paths, kh.origin
	global := b.ev.o.lists["globalknownhostsfile"]
	b.ep.GlobalKnownHosts, b.origin[SettingGlobalKnownHosts] = defaultGlobalKnownHosts, OriginDefault
	if len(global) > 0 {
		b.ep.GlobalKnownHosts, b.origin[SettingGlobalKnownHosts] = nil, global[0].origin
		for _, g := range global {
			if !strings.EqualFold(g.val, "none") {
				b.ep.GlobalKnownHosts = append(b.ep.GlobalKnownHosts, g.val)
			}
		}
	}
	o := b.ev.o.scalar
	b.ep.HostKeyAlias = strings.ToLower(o["hostkeyalias"].val)
	b.ep.StrictHostKeyChecking = o["stricthostkeychecking"].val
	b.ep.HashKnownHosts = o["hashknownhosts"].val == "yes"
	for key, setting := range map[string]string{"hostkeyalias": SettingHostKeyAlias,
		"stricthostkeychecking": SettingStrictHostKeyChecking, "hashknownhosts": SettingHashKnownHosts} {
		b.origin[setting] = cmpOr(o[key].origin, OriginDefault)
	}
	return nil
}

// connection resolves ProxyCommand (tokens expanded, "none" is none),
// ConnectTimeout and ServerAliveInterval/CountMax.
func (b *endpointBuilder) connection() error {
	o := b.ev.o.scalar
	if pc := o["proxycommand"]; pc.val != "" && !strings.EqualFold(pc.val, "none") {
		t := tokens{'h': b.tok['h'], 'k': b.tok['k'], 'n': b.tok['n'], 'p': b.tok['p'], 'r': b.tok['r']}
		cmd, err := t.expand(pc.val, nil)
		if err != nil {
			return fmt.Errorf("ProxyCommand from %s: %w", pc.origin, err)
		}
		b.ep.ProxyCommand = cmd
	}
	b.origin[SettingProxyCommand] = cmpOr(o["proxycommand"].origin, OriginDefault)
	if b.ep.ProxyCommand == "" && o["proxycommand"].origin == o["proxyjump"].origin {
		b.origin[SettingProxyCommand] = OriginDefault // set to none by a jump
	}
	b.ep.ConnectTimeout = time.Duration(atoiOr(o["connecttimeout"].val, 0)) * time.Second
	b.ep.ServerAliveInterval = time.Duration(atoiOr(o["serveraliveinterval"].val, 0)) * time.Second
	b.ep.ServerAliveCountMax = atoiOr(o["serveralivecountmax"].val, 0)
	for key, setting := range map[string]string{"connecttimeout": SettingConnectTimeout,
		"serveraliveinterval": SettingServerAliveInterval, "serveralivecountmax": SettingServerAliveCountMax} {
		b.origin[setting] = cmpOr(o[key].origin, OriginDefault)
	}
	if t := b.s.flags.ConnectTimeout; t > 0 {
		b.ep.ConnectTimeout, b.origin[SettingConnectTimeout] = t, OriginFlag
	}
	return nil
}

// files picks key or known_hosts files: one named by a flag or the
// inventory, else ssh_config's (every IdentityFile or CertificateFile
// line; the UserKnownHostsFile list, "none" for no file), else the
// fallback. ssh_config paths get ~, tokens and ${VAR} expanded.
func (b *endpointBuilder) files(key string, fb files, layers ...choice) (files, error) {
	if c := pick(layers...); c.val != "" {
		return files{[]string{b.r.settingPath(c)}, c.origin}, nil
	}
	vals := b.ev.o.lists[key]
	if len(vals) == 0 {
		return fb, nil
	}
	out := files{origin: originList(vals)}
	for _, v := range vals {
		if key == "userknownhostsfile" && strings.EqualFold(v.val, "none") {
			continue
		}
		p, err := b.expandPath(v)
		if err != nil {
			return files{}, err
		}
		out.paths = append(out.paths, p)
	}
	return out, nil
}

// expandPath expands ~, tokens and ${VAR} in a path from ssh_config.
func (b *endpointBuilder) expandPath(c choice) (string, error) {
	p, err := tildeExpand(c.val, b.r.local.Home)
	if err == nil {
		p, err = b.tok.expand(p, b.r.local.lookupEnv)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", c.origin, err)
	}
	return p, nil
}

// originList names the lines a list came from, each once:
// "ssh_config F:3, G:7".
func originList(vals []choice) string {
	var parts []string
	last := ""
	for _, v := range vals {
		if len(parts) > 0 && v.origin == last {
			continue
		}
		last = v.origin
		if len(parts) > 0 {
			parts = append(parts, strings.TrimPrefix(v.origin, "ssh_config "))
		} else {
			parts = append(parts, v.origin)
		}
	}
	return strings.Join(parts, ", ")
}
