package inventory

import "github.com/drover-sh/drover/internal/transport"

// Host is one resolved target: how to reach it, its template variables and
// where each SSH setting came from.
type Host struct {
	Name     string             // the inventory name after range expansion
	Endpoint transport.Endpoint // fully resolved connection settings
	Vars     map[string]string  // [hosts."name"] vars, for templates as .vars.NAME
	// Origin maps a setting ("host", "user", "port", "identity",
	// "known_hosts", "jump") to where its value came from: "flag",
	// "target" (written as user@host:port), "inventory host", "inventory
	// defaults", "ssh_config FILE:LINE" (or "ssh_config FILE" for a value
	// from an included file), "default". See the Origin* and Setting*
	// constants.
	Origin map[string]string
}
