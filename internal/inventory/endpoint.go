package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// maxJumps bounds a ProxyJump chain, which also stops ssh_config loops.
const maxJumps = 8

// Flags are the command-line overrides of SSH settings (-u, -p in the
// target, --identity, --known-hosts). A zero field is unset.
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

// resolver merges the layers of settings for one host: flags, target,
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
	entry := r.entries[t.Host]
	h := Host{Name: t.Host, Vars: cloneVars(entry.Vars), Origin: map[string]string{}}
	ep := &h.Endpoint
	ep.Name = t.Host
	ssh := r.local.SSHConfig

	host := pick(choice{entry.HostName, OriginHost}, sshChoice(ssh, t.Host, "HostName"), choice{t.Host, OriginDefault})
	ep.Host = expandTokens(host.val, map[byte]string{'h': t.Host})
	h.Origin[SettingHost] = host.origin

	user := pick(choice{r.flags.User, OriginFlag}, choice{t.User, OriginTarget}, choice{entry.User, OriginHost},
		choice{r.defaults.User, OriginDefaults}, sshChoice(ssh, t.Host, "User"), choice{r.local.User, OriginDefault})
	ep.User = user.val
	h.Origin[SettingUser] = user.origin

	port, err := r.port(t, entry)
	if err != nil {
		return Host{}, err
	}
	ep.Port, h.Origin[SettingPort] = port.port, port.origin

	tokens := map[byte]string{'h': ep.Host, 'n': t.Host, 'r': ep.User, 'u': r.local.User, 'd': r.local.Home, 'p': strconv.Itoa(ep.Port)}
	ep.Identities, h.Origin[SettingIdentity] = r.identities(t.Host, entry, tokens)
	ep.KnownHosts, h.Origin[SettingKnownHosts] = r.knownHosts(t.Host, entry, tokens)

	ep.Jump, h.Origin[SettingJump], err = r.jumps(t.Host, entry, *ep)
	if err != nil {
		return Host{}, fmt.Errorf("host %s: %w", t.Host, err)
	}
	return h, nil
}

type portChoice struct {
	port   int
	origin string
}

func (r *resolver) port(t Target, entry HostEntry) (portChoice, error) {
	c := pick(choice{portString(r.flags.Port), OriginFlag}, choice{portString(t.Port), OriginTarget},
		choice{portString(entry.Port), OriginHost}, choice{portString(r.defaults.Port), OriginDefaults},
		sshChoice(r.local.SSHConfig, t.Host, "Port"), choice{"22", OriginDefault})
	if err := checkPort(c.val); err != nil {
		return portChoice{}, fmt.Errorf("host %s: port from %s: %w", t.Host, c.origin, err)
	}
	n, _ := strconv.Atoi(c.val)
	return portChoice{n, c.origin}, nil
}

// identities picks the key files: one from flags or the inventory, else
// every IdentityFile of ssh_config, else the default files that exist.
func (r *resolver) identities(alias string, entry HostEntry, tokens map[byte]string) ([]string, string) {
	c := pick(choice{r.flags.Identity, OriginFlag}, choice{entry.Identity, OriginHost}, choice{r.defaults.Identity, OriginDefaults})
	if c.val != "" {
		return []string{r.settingPath(c)}, c.origin
	}
	if vals, origin := r.local.SSHConfig.values(alias, "IdentityFile"); len(vals) > 0 {
		return r.paths(vals, tokens), origin
	}
	var found []string
	for _, p := range defaultIdentities {
		if p = r.path(p); r.local.Home != "" && fileExists(p) {
			found = append(found, p)
		}
	}
	return found, OriginDefault
}

// knownHosts picks the known_hosts files: one from flags or the inventory,
// else ssh_config's UserKnownHostsFile list, else ~/.ssh/known_hosts.
func (r *resolver) knownHosts(alias string, entry HostEntry, tokens map[byte]string) ([]string, string) {
	c := pick(choice{r.flags.KnownHosts, OriginFlag}, choice{entry.KnownHosts, OriginHost},
		choice{r.defaults.KnownHosts, OriginDefaults}, sshChoice(r.local.SSHConfig, alias, "UserKnownHostsFile"))
	switch c.origin {
	case "":
		return []string{r.path("~/.ssh/known_hosts")}, OriginDefault
	case OriginFlag, OriginHost, OriginDefaults:
		return []string{r.settingPath(c)}, c.origin
	}
	return r.paths(strings.Fields(c.val), tokens), c.origin
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

// path expands a leading "~/" to the local home.
func (r *resolver) path(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && r.local.Home != "" {
		return filepath.Join(r.local.Home, rest)
	}
	return p
}

func (r *resolver) paths(ps []string, tokens map[byte]string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = r.path(expandTokens(p, tokens))
	}
	return out
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
