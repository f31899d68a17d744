package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/runbook"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// targetOptions are the target flags every command that touches hosts has.
type targetOptions struct {
	Inventory  string
	Groups     []string
	Hosts      []string
	Limit      string
	Exclude    string
	Parallel   int
	Batches    string
	AcceptNew  bool
	AskPass    bool
	User       string
	Identity   string
	KnownHosts string
	SSHConfig  string
	Timeout    time.Duration
}

func (o *targetOptions) register(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Inventory, "inventory", "i", "", "inventory file (default $DROVER_INVENTORY, else ./inventory.toml)")
	fs.StringArrayVarP(&o.Groups, "group", "g", nil, "target group (repeatable, or a comma list)")
	fs.StringArrayVarP(&o.Hosts, "hosts", "H", nil, "target hosts: comma list, ranges like web[01:12], user@host:port")
	fs.StringVar(&o.Limit, "limit", "", "keep only hosts whose name matches one of these globs")
	fs.StringVar(&o.Exclude, "exclude", "", "drop hosts whose name matches one of these globs")
	fs.IntVarP(&o.Parallel, "parallel", "p", 0, "hosts in flight at most (default: the runbook's, 32 for exec)")
	fs.StringVar(&o.Batches, "batches", "", "batch sizes, e.g. 1,25%,100% (overrides the runbook)")
	fs.BoolVar(&o.AcceptNew, "accept-new-host-keys", false, "accept and record unknown host keys (never changed ones)")
	fs.BoolVar(&o.AskPass, "ask-pass", false, "ask once for an SSH password, used for every host")
	fs.StringVarP(&o.User, "user", "u", "", "remote login name")
	fs.StringVar(&o.Identity, "identity", "", "private key file")
	fs.StringVar(&o.KnownHosts, "known-hosts", "", "known_hosts file")
	fs.StringVarP(&o.SSHConfig, "ssh-config", "F", "", "ssh_config file to read instead of ~/.ssh/config and /etc/ssh/ssh_config (like ssh -F)")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "connect and handshake timeout per host")
}

// inventoryPath is the inventory file to read and whether the user named it.
func (o *targetOptions) inventoryPath(env *env) (string, bool) {
	if o.Inventory != "" {
		return o.Inventory, true
	}
	if p := env.getenv("DROVER_INVENTORY"); p != "" {
		return p, true
	}
	return "inventory.toml", false
}

// loadInventory reads the inventory. A default ./inventory.toml that does not
// exist is an empty inventory, so -H works without one.
func (o *targetOptions) loadInventory(env *env) (*inventory.Inventory, error) {
	path, named := o.inventoryPath(env)
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !named {
		return nil, nil
	}
	if err != nil {
		return nil, usageErr(withHint(fmt.Errorf("read inventory: %w", err),
			"name an inventory with -i FILE or $DROVER_INVENTORY, or hosts with -H"))
	}
	inv, err := runbook.ParseInventory(path, src)
	if err != nil {
		return nil, usageErr(err)
	}
	return inv, nil
}

// resolve loads the inventory and returns the targeted hosts. defaultGroup
// is the runbook's target, used when neither -g nor -H is given.
func (o *targetOptions) resolve(env *env, defaultGroup string) ([]inventory.Host, *inventory.Inventory, error) {
	inv, err := o.loadInventory(env)
	if err != nil {
		return nil, nil, err
	}
	if inv == nil && len(o.Groups) > 0 {
		return nil, nil, usageErr(withHint(errors.New("no inventory: ./inventory.toml does not exist"),
			"name an inventory with -i FILE or $DROVER_INVENTORY"))
	}
	local, err := localMachine(env, o.SSHConfig)
	if err != nil {
		return nil, nil, err
	}
	fl := inventory.Flags{User: o.User, Identity: o.Identity, KnownHosts: o.KnownHosts}
	sel := inventory.Selector{Groups: o.Groups, Hosts: o.Hosts, Limit: o.Limit, Exclude: o.Exclude}
	hosts, err := inv.Resolve(sel, fl, local, defaultGroup)
	if err != nil {
		return nil, nil, usageErr(err)
	}
	if err := checkIdentities(hosts); err != nil {
		return nil, nil, usageErr(err)
	}
	return hosts, inv, nil
}

// checkIdentities makes sure every key file a flag or the inventory names
// can be read and holds a private key, and every CertificateFile that
// exists holds a user certificate, so a typo stops the command before any
// host is contacted. A key protected by a passphrase passes: the agent may
// hold it, or the terminal may be asked (see dialer). Other key files
// (ssh_config's, the defaults) and certificates that do not exist are
// dropped, as ssh skips them.
func checkIdentities(hosts []inventory.Host) error {
	seen := map[string]bool{}
	for i := range hosts {
		h := &hosts[i]
		origin := h.Origin[inventory.SettingIdentity]
		named := origin == inventory.OriginFlag || origin == inventory.OriginHost || origin == inventory.OriginDefaults
		if !named {
			h.Endpoint.Identities = existingKeys(h.Endpoint.Identities)
		}
		h.Endpoint.Certificates = existingKeys(h.Endpoint.Certificates)
		for j := range h.Endpoint.Jump {
			hop := &h.Endpoint.Jump[j]
			hop.Identities, hop.Certificates = existingKeys(hop.Identities), existingKeys(hop.Certificates)
		}
		for _, id := range h.Endpoint.Identities {
			if seen[id] || !named {
				continue
			}
			seen[id] = true
			if err := checkIdentity(id); err != nil {
				return withHint(fmt.Errorf("identity file for %s: %w", h.Name, err),
					"check --identity or the inventory's identity")
			}
		}
		for _, c := range h.Endpoint.Certificates {
			if err := checkCertificate(c); err != nil {
				return withHint(fmt.Errorf("certificate file for %s: %w", h.Name, err),
					"check CertificateFile in ~/.ssh/config")
			}
		}
	}
	return nil
}

// checkCertificate accepts a user certificate, or no file at all (ssh
// skips a missing CertificateFile).
func checkCertificate(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if cert, ok := pub.(*ssh.Certificate); err != nil || !ok || cert.CertType != ssh.UserCert {
		return fmt.Errorf("%s is not a user certificate", path)
	}
	return nil
}

func checkIdentity(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = ssh.ParseRawPrivateKey(data)
	var encrypted *ssh.PassphraseMissingError
	if err != nil && !errors.As(err, &encrypted) {
		return fmt.Errorf("%s is not a private key: %w", path, err)
	}
	return nil
}

// existingKeys keeps the files that exist, or whose public half does.
func existingKeys(paths []string) []string {
	var out []string
	for _, p := range paths {
		if fileExists(p) || fileExists(p+".pub") {
			out = append(out, p)
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// localMachine describes the control machine for inventory resolution.
// sshConfig is the -F file; "" reads ~/.ssh/config, then
// /etc/ssh/ssh_config, and "none" nothing, as for ssh.
func localMachine(env *env, sshConfig string) (inventory.Local, error) {
	home := env.getenv("HOME")
	name := env.getenv("USER")
	uid := strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil {
		name, uid = u.Username, u.Uid
		if home == "" {
			home = u.HomeDir
		}
	}
	hostname, _ := os.Hostname()
	var cfg *inventory.SSHConfig
	var err error
	switch sshConfig {
	case "none": // as ssh -F none: no file at all
	case "":
		cfg, err = inventory.LoadSSHConfig(filepath.Join(home, ".ssh", "config"), systemSSHConfig(env))
	default:
		cfg, err = inventory.LoadSSHConfigFile(sshConfig)
	}
	if err != nil {
		return inventory.Local{}, usageErr(err)
	}
	return inventory.Local{User: name, Home: home, UID: uid, Hostname: hostname, SSHConfig: cfg, LookupEnv: env.lookupEnv}, nil
}

// systemSSHConfig is the system-wide ssh_config: /etc/ssh/ssh_config, or
// $DROVER_SYSTEM_SSH_CONFIG when set ("none" for none), so tests do not
// depend on the machine's file.
func systemSSHConfig(env *env) string {
	switch p, ok := env.lookupEnv("DROVER_SYSTEM_SSH_CONFIG"); {
	case !ok:
		return inventory.SystemSSHConfig
	case p == "none":
		return ""
	default:
		return p
	}
}

// dialer builds the SSH dialer for these flags, for hosts. The password
// and identity passphrases, when asked for, are read once from the
// terminal on first use and handed to learn (the redactor) before they are
// used. With no terminal, --ask-pass is refused, and so is an encrypted
// identity that the agent does not hold: nobody could type its passphrase.
// StrictHostKeyChecking from ssh_config applies per host; hosts without
// it are checked as "ask" (unknown keys stop pre-flight) unless
// --accept-new-host-keys is given, which overrides it.
func (o *targetOptions) dialer(env *env, learn func(string), hosts []inventory.Host) (transport.Dialer, error) {
	opts := sshx.Options{
		AcceptNew:             o.AcceptNew,
		StrictHostKeyChecking: "ask",
		AgentSocket:           env.getenv("SSH_AUTH_SOCK"),
		ConnectTimeout:        o.Timeout,
		// A dead or frozen host is declared lost within about 15 s.
		KeepaliveInterval: 4 * time.Second,
		KeepaliveCountMax: 3,
	}
	ask := func(ctx context.Context, prompt string) (string, error) {
		v, err := env.term.ReadSecret(ctx, prompt)
		if err == nil && learn != nil {
			learn(v)
		}
		return v, err
	}
	if o.AskPass {
		if !env.term.Interactive() {
			return nil, usageErr(withHint(errors.New("--ask-pass needs a terminal to ask on"),
				"use ssh-agent or --identity for unattended runs"))
		}
		opts.Password = func(ctx context.Context) (string, error) { return ask(ctx, "SSH password: ") }
	}
	if !env.term.Interactive() {
		d := sshx.New(opts)
		if err := refuseEncrypted(d, hosts); err != nil {
			return nil, err
		}
		return d, nil
	}
	opts.Passphrase = func(ctx context.Context, file string) (string, error) {
		return ask(ctx, "Enter passphrase for key "+file+": ")
	}
	return sshx.New(opts), nil
}

// refuseEncrypted stops a run with no terminal when a host would need the
// passphrase of an identity the agent does not hold.
func refuseEncrypted(d *sshx.Dialer, hosts []inventory.Host) error {
	for _, h := range hosts {
		files, err := d.PassphraseNeeded(h.Endpoint)
		if err != nil {
			return usageErr(fmt.Errorf("identity file for %s: %w", h.Name, err))
		}
		if len(files) > 0 {
			return usageErr(withHint(fmt.Errorf("identity file %s (for %s) is encrypted, is not in ssh-agent and there is no terminal to ask for its passphrase", files[0], h.Name),
				"add it to the agent first: ssh-add %s", files[0]))
		}
	}
	return nil
}
