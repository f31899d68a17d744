package inventory

import (
	"strconv"
	"strings"

	"github.com/drover-sh/drover/internal/transport"
)

// SettingRow is one resolved setting of a host with where it came from, as
// `drover hosts` shows it (like `ssh -G`, with origins).
type SettingRow struct {
	Key    string // one of the Setting* constants
	Value  string // "" when unset (no jump, no key file)
	Origin string
}

// Rows lists h's settings in a fixed order: host, user, port, identity,
// known_hosts, jump. Lists are joined with ", "; a jump chain is written
// user@host:port per hop.
func (h Host) Rows() []SettingRow {
	ep := h.Endpoint
	values := []struct{ key, val string }{
		{SettingHost, ep.Host},
		{SettingUser, ep.User},
		{SettingPort, strconv.Itoa(ep.Port)},
		{SettingIdentity, strings.Join(ep.Identities, ", ")},
		{SettingKnownHosts, strings.Join(ep.KnownHosts, ", ")},
		{SettingJump, jumpString(ep.Jump)},
	}
	rows := make([]SettingRow, len(values))
	for i, v := range values {
		rows[i] = SettingRow{Key: v.key, Value: v.val, Origin: h.Origin[v.key]}
	}
	return rows
}

func jumpString(hops []transport.Endpoint) string {
	parts := make([]string, len(hops))
	for i, hop := range hops {
		parts[i] = Target{User: hop.User, Host: hop.Host, Port: hop.Port}.String()
	}
	return strings.Join(parts, ",")
}
