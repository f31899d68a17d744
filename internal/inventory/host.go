package inventory

import "github.com/drover-sh/drover/internal/transport"

// Host is one resolved target: how to reach it, its template variables and
// where each SSH setting came from.
type Host struct {
	Name     string             // the inventory name after range expansion
	Endpoint transport.Endpoint // fully resolved connection settings
	Vars     map[string]string  // [hosts."name"] vars, for templates as .vars.NAME
	// Origin maps a setting (the Setting* constants) to where its value
	// came from: "flag", "target" (written as user@host:port), "inventory
	// host", "inventory defaults", "ssh_config FILE:LINE" (FILE is the file
	// holding the line, an included one named as itself; a list from
	// several lines names each), "default".
	Origin map[string]string
}

// Keys of Host.Origin.
const (
	SettingHost                  = "host"
	SettingUser                  = "user"
	SettingPort                  = "port"
	SettingIdentity              = "identity"
	SettingCertificate           = "certificate"
	SettingIdentitiesOnly        = "identities_only"
	SettingIdentityAgent         = "identity_agent"
	SettingKnownHosts            = "known_hosts"
	SettingGlobalKnownHosts      = "global_known_hosts"
	SettingHostKeyAlias          = "host_key_alias"
	SettingStrictHostKeyChecking = "strict_host_key_checking"
	SettingHashKnownHosts        = "hash_known_hosts"
	SettingJump                  = "jump"
	SettingProxyCommand          = "proxy_command"
	SettingConnectTimeout        = "connect_timeout"
	SettingServerAliveInterval   = "server_alive_interval"
	SettingServerAliveCountMax   = "server_alive_count_max"
)
