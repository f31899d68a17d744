package inventory

import (
	"strconv"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// SettingPath is the row that says how a host is reached: directly,
// through a jump chain or through a proxy command.
const SettingPath = "path"

// SettingRow is one resolved setting of a host with where it came from, as
// `drover hosts` shows it (like `ssh -G`, with origins).
type SettingRow struct {
	Key    string // one of the Setting* constants
	Value  string // "" when unset (no jump, no key file)
	Origin string
}

// Rows lists h's settings in a fixed order: the address, authentication,
// host keys, the path, timeouts. Lists are joined with ", "; a jump chain
// is written user@host:port per hop.
func (h Host) Rows() []SettingRow {
	ep := h.Endpoint
	values := []struct{ key, val string }{
		{SettingHost, ep.Host},
		{SettingUser, ep.User},
		{SettingPort, strconv.Itoa(ep.Port)},
		{SettingIdentity, strings.Join(ep.Identities, ", ")},
		{SettingCertificate, strings.Join(ep.Certificates, ", ")},
		{SettingIdentitiesOnly, yesNo(ep.IdentitiesOnly)},
		{SettingIdentityAgent, ep.IdentityAgent},
		{SettingKnownHosts, strings.Join(ep.KnownHosts, ", ")},
		{SettingGlobalKnownHosts, strings.Join(ep.GlobalKnownHosts, ", ")},
		{SettingHostKeyAlias, ep.HostKeyAlias},
		{SettingStrictHostKeyChecking, ep.StrictHostKeyChecking},
		{SettingHashKnownHosts, yesNo(ep.HashKnownHosts)},
		{SettingJump, jumpString(ep.Jump)},
		{SettingProxyCommand, ep.ProxyCommand},
		{SettingPath, PathString(ep)},
		{SettingConnectTimeout, seconds(ep.ConnectTimeout)},
		{SettingServerAliveInterval, seconds(ep.ServerAliveInterval)},
		{SettingServerAliveCountMax, count(ep.ServerAliveCountMax)},
	}
	rows := make([]SettingRow, len(values))
	for i, v := range values {
		rows[i] = SettingRow{Key: v.key, Value: v.val, Origin: h.Origin[v.key]}
		if v.key == SettingPath {
			rows[i].Origin = pathOrigin(h)
		}
	}
	return rows
}

// PathString says how ep is reached: "direct", "proxy command CMD", or
// the hops, e.g. "ops@gw:22 > deploy@web1:22" (a first hop behind its own
// proxy command starts with it).
func PathString(ep transport.Endpoint) string {
	if ep.ProxyCommand != "" {
		return "proxy command " + ep.ProxyCommand
	}
	if len(ep.Jump) == 0 {
		return "direct"
	}
	var parts []string
	if pc := ep.Jump[0].ProxyCommand; pc != "" {
		parts = append(parts, "proxy command "+pc)
	}
	for _, hop := range append(append([]transport.Endpoint(nil), ep.Jump...), ep) {
		parts = append(parts, hopString(hop))
	}
	return strings.Join(parts, " > ")
}

func pathOrigin(h Host) string {
	switch {
	case h.Endpoint.ProxyCommand != "":
		return h.Origin[SettingProxyCommand]
	case len(h.Endpoint.Jump) > 0:
		return h.Origin[SettingJump]
	}
	return OriginDefault
}

func jumpString(hops []transport.Endpoint) string {
	parts := make([]string, len(hops))
	for i, hop := range hops {
		parts[i] = hopString(hop)
	}
	return strings.Join(parts, ",")
}

func hopString(ep transport.Endpoint) string {
	return Target{User: ep.User, Host: ep.Host, Port: ep.Port}.String()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func seconds(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func count(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
