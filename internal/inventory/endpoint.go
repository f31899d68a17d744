package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// Where a setting came from, as recorded in Host.Origin.
const (
	OriginFlag     = "flag"
	OriginTarget   = "target" // written into the target: user@host:port
	OriginHost     = "inventory host"
	OriginDefaults = "inventory defaults"
	OriginDefault  = "default"
	// ssh_config origins are "ssh_config FILE:LINE", FILE being the file
	// that holds the line (an included file is named as itself).
)

// defaultIdentities are the key files tried when nothing names one, in
// OpenSSH's order; only those that exist are used.
var defaultIdentities = []string{"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk", "~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk"}

// Known hosts files when nothing names any, as OpenSSH's.
var (
	defaultKnownHosts       = []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2"}
	defaultGlobalKnownHosts = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
)

// Flags are the command-line overrides of SSH settings (-u, --identity,
// --known-hosts, --timeout given on the command line, and a port if the
// CLI offers one). A zero field is unset.
type Flags struct {
	User           string
	Port           int
	Identity       string
	KnownHosts     string
	ConnectTimeout time.Duration
}

// Local describes the control machine. Resolve reads nothing of the process
// environment itself: the CLI fills this from the user database, $HOME and
// the environment.
type Local struct {
	User      string     // local login name: the remote user when nothing else names one
	Home      string     // "~/" in paths and %d; where default keys and known_hosts live
	UID       string     // %i
	Hostname  string     // this machine's host name: %l, %L (its first label), %C
	SSHConfig *SSHConfig // the ssh_config files; nil for none

	// LookupEnv reads environment variables for ${VAR} in ssh_config and
	// $SHELL for Match exec; nil has none.
	LookupEnv func(string) (string, bool)
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
// host has no flags, and inventory defaults only when the inventory lists it.
type source struct {
	flags    Flags
	target   Target
	entry    HostEntry
	defaults Settings
	jump     choice // a jump chain given as ssh -J would give it; "" for the layers' own
}

// files is a list of key or known_hosts files and where it came from.
type files struct {
	paths  []string
	origin string
}

// fallback are the key and known_hosts files an endpoint uses when neither
// its layers nor ssh_config name any.
type fallback struct {
	identities, knownHosts files
}

// resolver merges the layers of settings for hosts: flags, target,
// inventory host, inventory defaults, ssh_config, built-in defaults.
type resolver struct {
	flags    Flags
	local    Local
	defaults Settings
	entries  map[string]HostEntry
	invDir   string // directory of the inventory file, for relative paths
	ids      *files // the default identities, once looked for
}

// host resolves one target into a Host.
func (r *resolver) host(t Target) (Host, error) {
	s := source{flags: r.flags, target: t, entry: r.entries[t.Host], defaults: r.defaults}
	fb := fallback{r.defaultIdentities(), files{r.paths(defaultKnownHosts), OriginDefault}}
	ep, origin, cfg, err := r.endpoint(s, fb)
	if err != nil {
		return Host{}, fmt.Errorf("host %s: %w", t.Host, err)
	}
	if ep.Jump, err = r.jumps(cfg.jump, r.hopFallback(s, fb)); err != nil {
		return Host{}, fmt.Errorf("host %s: %w", t.Host, err)
	}
	origin[SettingJump] = cfg.jump.origin
	if cfg.jump.val == "" {
		origin[SettingJump] = OriginDefault
	}
	return Host{Name: t.Host, Endpoint: ep, Vars: cloneVars(s.entry.Vars), Origin: origin}, nil
}

// hopFallback are the files jump hosts use when nothing names theirs: the
// ones the target's flags or inventory name, else the built-in defaults
// (ssh_config files of the target are the target's alone, as for ssh).
func (r *resolver) hopFallback(s source, fb fallback) fallback {
	if c := pick(choice{s.flags.Identity, OriginFlag}, choice{s.entry.Identity, OriginHost}, choice{s.defaults.Identity, OriginDefaults}); c.val != "" {
		fb.identities = files{[]string{r.settingPath(c)}, c.origin}
	}
	if c := pick(choice{s.flags.KnownHosts, OriginFlag}, choice{s.entry.KnownHosts, OriginHost}, choice{s.defaults.KnownHosts, OriginDefaults}); c.val != "" {
		fb.knownHosts = files{[]string{r.settingPath(c)}, c.origin}
	}
	return fb
}

// resolved is what an endpoint's ssh_config evaluation leaves for its jump
// chain.
type resolved struct {
	jump choice // ProxyJump (a preset, the inventory's or ssh_config's)
}

// endpoint resolves everything of one endpoint but its jump chain: the
// layers above ssh_config are handed to it as ssh's command line would be,
// then each setting is taken from the first layer that has it.
func (r *resolver) endpoint(s source, fb fallback) (transport.Endpoint, map[string]string, resolved, error) {
	q, err := r.query(s)
	if err != nil {
		return transport.Endpoint{}, nil, resolved{}, err
	}
	ev, err := r.local.SSHConfig.lookup(q, r.local)
	if err != nil {
		return transport.Endpoint{}, nil, resolved{}, err
	}
	b := &endpointBuilder{r: r, ev: ev, s: s, origin: map[string]string{}}
	if err := b.address(); err != nil {
		return transport.Endpoint{}, nil, resolved{}, err
	}
	if err := b.auth(fb); err != nil {
		return transport.Endpoint{}, nil, resolved{}, err
	}
	if err := b.hostKeys(fb); err != nil {
		return transport.Endpoint{}, nil, resolved{}, err
	}
	if err := b.connection(); err != nil {
		return transport.Endpoint{}, nil, resolved{}, err
	}
	return b.ep, b.origin, resolved{jump: ev.o.scalar["proxyjump"]}, nil
}

// query turns the layers above ssh_config into ssh's command line: -l, -p,
// -o HostName=, -J.
func (r *resolver) query(s source) (sshQuery, error) {
	q := sshQuery{host: s.target.Host}
	q.user = pick(choice{s.flags.User, OriginFlag}, choice{s.target.User, OriginTarget}, choice{s.entry.User, OriginHost},
		choice{s.defaults.User, OriginDefaults})
	q.port = pick(choice{portString(s.flags.Port), OriginFlag}, choice{portString(s.target.Port), OriginTarget},
		choice{portString(s.entry.Port), OriginHost}, choice{portString(s.defaults.Port), OriginDefaults})
	q.hostname = choice{s.entry.HostName, OriginHost}
	q.jump = pick(s.jump, choice{s.entry.Jump, OriginHost}, choice{s.defaults.Jump, OriginDefaults})
	if q.port.val != "" {
		if err := checkPort(q.port.val); err != nil {
			return q, fmt.Errorf("port from %s: %w", q.port.origin, err)
		}
	}
	return q, nil
}

// defaultIdentities returns the default key files that exist (or whose
// public half does: the agent may hold the key). They are looked for once
// per resolve, not once per host.
func (r *resolver) defaultIdentities() files {
	if r.ids != nil {
		return *r.ids
	}
	var found []string
	for _, p := range defaultIdentities {
		if p = r.path(p); r.local.Home != "" && (fileExists(p) || fileExists(p+".pub")) {
			found = append(found, p)
		}
	}
	r.ids = &files{slices.Clip(found), OriginDefault} // hosts share it: an append copies
	return *r.ids
}

// path expands a leading "~/" to the local home.
func (r *resolver) path(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && r.local.Home != "" {
		return filepath.Join(r.local.Home, rest)
	}
	return p
}

func (r *resolver) paths(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = r.path(p)
	}
	return out
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
