package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/drover-sh/drover/internal/transport"
)

// Where a setting came from, as recorded in Host.Origin.
const (
	OriginFlag     = "flag"
	OriginTarget   = "target" // written into the target: user@host:port
	OriginHost     = "inventory host"
	OriginDefaults = "inventory defaults"
	OriginDefault  = "default"
	// ssh_config origins are "ssh_config FILE:LINE" or "ssh_config FILE".
)

// Keys of Host.Origin.
const (
	SettingHost       = "host"
	SettingUser       = "user"
	SettingPort       = "port"
	SettingIdentity   = "identity"
	SettingKnownHosts = "known_hosts"
	SettingJump       = "jump"
)

// defaultIdentities are the key files tried when nothing names one, as
// OpenSSH does; only those that exist are used.
var defaultIdentities = []string{"~/.ssh/id_ed25519", "~/.ssh/id_rsa", "~/.ssh/id_ecdsa"}

// Flags are the command-line overrides of SSH settings (-u, --identity,
// --known-hosts, and a port if the CLI offers one). A zero field is unset.
type Flags struct {
	User       string
	Port       int
	Identity   string
	KnownHosts string
}

// Local describes the control machine. Resolve reads nothing of the process
// environment itself: the CLI fills this from the user database and $HOME.
type Local struct {
	User      string     // local login name: the remote user when nothing else names one
	Home      string     // "~/" in paths; where default keys and known_hosts live
	SSHConfig *SSHConfig // the user's ssh_config; nil for none
}

// choice is a candidate value of one setting and where it came from.
type choice struct {
	val    string
	origin string
}

// pick returns the first candidate with a value.
func pick(cands ...choice) choice {
	for _, c := range cands {
		if c.val != "" {
			return c
		}
	}
	return choice{}
}

func portString(p int) string {
	if p == 0 {
		return ""
	}
	return strconv.Itoa(p)
}

// source holds the layers one endpoint's settings come from, above
// ssh_config and the built-in defaults. A target host has them all; a jump
// host has no flags and no inventory defaults.
type source struct {
	flags    Flags
	target   Target
	entry    HostEntry
	defaults Settings
}

// files is a list of key or known_hosts files and where it came from.
type files struct {
	paths  []string
	origin string
}

// resolver merges the layers of settings for hosts: flags, target,
// inventory host, inventory defaults, ssh_config, built-in defaults.
type resolver struct {
	flags    Flags
	local    Local
	defaults Settings
	entries  map[string]HostEntry
	invDir   string // directory of the inventory file, for relative paths
}

// host resolves one target into a Host.
func (r *resolver) host(t Target) (Host, error) {
	s := source{flags: r.flags, target: t, entry: r.entries[t.Host], defaults: r.defaults}
	ep, origin, err := r.endpoint(s, r.defaultIdentities(), files{[]string{r.path("~/.ssh/known_hosts")}, OriginDefault})
	if err != nil {
		return Host{}, fmt.Errorf("host %s: %w", t.Host, err)
	}
	ep.Jump, origin[SettingJump], err = r.jumps(s, ep)
	if err != nil {
		return Host{}, fmt.Errorf("host %s: %w", t.Host, err)
	}
	return Host{Name: t.Host, Endpoint: ep, Vars: cloneVars(s.entry.Vars), Origin: origin}, nil
}

// endpoint resolves everything of one endpoint but its jump chain. The
// fallbacks apply when no layer names a key or known_hosts file.
func (r *resolver) endpoint(s source, idFallback, khFallback files) (transport.Endpoint, map[string]string, error) {
	alias, ssh := s.target.Host, r.local.SSHConfig
	host := pick(choice{s.entry.HostName, OriginHost}, sshChoice(ssh, alias, "HostName"), choice{alias, OriginDefault})
	user := pick(choice{s.flags.User, OriginFlag}, choice{s.target.User, OriginTarget}, choice{s.entry.User, OriginHost},
		choice{s.defaults.User, OriginDefaults}, sshChoice(ssh, alias, "User"), choice{r.local.User, OriginDefault})
	port := pick(choice{portString(s.flags.Port), OriginFlag}, choice{portString(s.target.Port), OriginTarget},
		choice{portString(s.entry.Port), OriginHost}, choice{portString(s.defaults.Port), OriginDefaults},
		sshChoice(ssh, alias, "Port"), choice{"22", OriginDefault})
	if err := checkPort(port.val); err != nil {
		return transport.Endpoint{}, nil, fmt.Errorf("port from %s: %w", port.origin, err)
	}
	ep := transport.Endpoint{Name: alias, Host: expandTokens(host.val, map[byte]string{'h': alias}), User: user.val}
	ep.Port, _ = strconv.Atoi(port.val)

	tokens := map[byte]string{'h': ep.Host, 'n': alias, 'r': ep.User, 'u': r.local.User, 'd': r.local.Home, 'p': port.val}
	ids := r.files(alias, "IdentityFile", tokens, idFallback,
		choice{s.flags.Identity, OriginFlag}, choice{s.entry.Identity, OriginHost}, choice{s.defaults.Identity, OriginDefaults})
	kh := r.files(alias, "UserKnownHostsFile", tokens, khFallback,
		choice{s.flags.KnownHosts, OriginFlag}, choice{s.entry.KnownHosts, OriginHost}, choice{s.defaults.KnownHosts, OriginDefaults})
	ep.Identities, ep.KnownHosts = ids.paths, kh.paths
	return ep, map[string]string{
		SettingHost: host.origin, SettingUser: user.origin, SettingPort: port.origin,
		SettingIdentity: ids.origin, SettingKnownHosts: kh.origin,
	}, nil
}

// files picks key or known_hosts files: one named by a flag or the
// inventory, else ssh_config's (every IdentityFile; the UserKnownHostsFile
// list), else the fallback.
func (r *resolver) files(alias, key string, tokens map[byte]string, fallback files, layers ...choice) files {
	if c := pick(layers...); c.val != "" {
		return files{[]string{r.settingPath(c)}, c.origin}
	}
	vals, origin := r.local.SSHConfig.values(alias, key)
	if key == "UserKnownHostsFile" && len(vals) > 0 {
		vals = strings.Fields(vals[0])
	}
	if len(vals) == 0 {
		return fallback
	}
	paths := make([]string, len(vals))
	for i, v := range vals {
		paths[i] = r.path(expandTokens(v, tokens))
	}
	return files{paths, origin}
}

// defaultIdentities returns the default key files that exist.
func (r *resolver) defaultIdentities() files {
	var found []string
	for _, p := range defaultIdentities {
		if p = r.path(p); r.local.Home != "" && fileExists(p) {
			found = append(found, p)
		}
	}
	return files{found, OriginDefault}
}

// path expands a leading "~/" to the local home.
func (r *resolver) path(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && r.local.Home != "" {
		return filepath.Join(r.local.Home, rest)
	}
	return p
}

// settingPath expands "~/" in a path from a flag or the inventory; a
// relative path from the inventory is relative to the inventory file, so an
// inventory works from any directory. Flag paths are left to the caller.
func (r *resolver) settingPath(c choice) string {
	p := r.path(c.val)
	if c.origin != OriginFlag && !filepath.IsAbs(p) && !strings.HasPrefix(p, "~") && r.invDir != "" {
		p = filepath.Join(r.invDir, p)
	}
	return p
}

func sshChoice(c *SSHConfig, alias, key string) choice {
	v, origin := c.value(alias, key)
	return choice{v, origin}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func cloneVars(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
