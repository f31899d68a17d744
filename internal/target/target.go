// Package target turns the values of the target flags into the hosts a
// command works on and the dialer that reaches them: it reads the
// inventory, resolves the selection with ssh_config, checks the key files
// the selection names and builds the SSH dialer with its prompts.
//
// It does not parse flags, print, connect to any host or choose an exit
// code: its errors are plain, with hints (inventory.HintError) for the
// person at the terminal, and every one of them means nothing ran.
package target

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/runbook"
	"github.com/drover-sh/drover/internal/secret"
)

// Options are the target flags every command that touches hosts has.
type Options struct {
	Inventory  string
	Groups     []string
	Hosts      []string
	Limit      string
	Exclude    string
	AcceptNew  bool
	AskPass    bool
	User       string
	Identity   string
	KnownHosts string
	SSHConfig  string
	// Timeout bounds each connect and handshake. It is the default for
	// hosts whose ssh_config sets no ConnectTimeout, and overrides that
	// too when TimeoutSet says the command line gave it.
	Timeout    time.Duration
	TimeoutSet bool

	// Persist keeps the connections open for the next command this long
	// after this one (package persist); 0 is off. Resolve takes the
	// inventory's [defaults] persist unless PersistSet says the command
	// line gave one.
	Persist    time.Duration
	PersistSet bool
}

// Env is what resolving and dialling may use of the process: the
// environment, and the terminal to ask for passwords and passphrases on.
type Env struct {
	Getenv    func(string) string
	LookupEnv func(string) (string, bool)
	Term      secret.Prompter
}

// inventoryPath is the inventory file to read and whether the user named it.
func (o *Options) inventoryPath(env Env) (string, bool) {
	if o.Inventory != "" {
		return o.Inventory, true
	}
	if p := env.Getenv("DROVER_INVENTORY"); p != "" {
		return p, true
	}
	return "inventory.toml", false
}

// LoadInventory reads the inventory. A default ./inventory.toml that does
// not exist is an empty inventory (nil), so -H works without one.
func (o *Options) LoadInventory(env Env) (*inventory.Inventory, error) {
	path, named := o.inventoryPath(env)
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !named {
		return nil, nil
	}
	if err != nil {
		return nil, hinted(fmt.Errorf("read inventory: %w", err),
			"name an inventory with -i FILE or $DROVER_INVENTORY, or hosts with -H")
	}
	return runbook.ParseInventory(path, src)
}

// Resolve loads the inventory and returns the targeted hosts. defaultGroup
// is the runbook's target, used when neither -g nor -H is given.
func (o *Options) Resolve(env Env, defaultGroup string) ([]inventory.Host, *inventory.Inventory, error) {
	inv, err := o.LoadInventory(env)
	if err != nil {
		return nil, nil, err
	}
	if inv == nil && len(o.Groups) > 0 {
		return nil, nil, hinted(errors.New("no inventory: ./inventory.toml does not exist"),
			"name an inventory with -i FILE or $DROVER_INVENTORY")
	}
	local, err := localMachine(env, o.SSHConfig)
	if err != nil {
		return nil, nil, err
	}
	fl := inventory.Flags{User: o.User, Identity: o.Identity, KnownHosts: o.KnownHosts}
	if o.TimeoutSet {
		fl.ConnectTimeout = o.Timeout
	}
	sel := inventory.Selector{Groups: o.Groups, Hosts: o.Hosts, Limit: o.Limit, Exclude: o.Exclude}
	hosts, err := inv.Resolve(sel, fl, local, defaultGroup)
	if err != nil {
		return nil, nil, err
	}
	if inv != nil && !o.PersistSet {
		o.Persist = inv.Persist
	}
	if err := checkIdentities(hosts); err != nil {
		return nil, nil, err
	}
	return hosts, inv, nil
}

// Vias resolves the named hosts, which must be hosts of the inventory, with
// the same inventory and flags as the targets: the hosts a load balancer is
// reached through.
func (o Options) Vias(env Env, names []string) ([]inventory.Host, error) {
	o.Groups, o.Limit, o.Exclude = nil, "", ""
	o.Hosts = names
	hosts, inv, err := o.Resolve(env, "")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if inv == nil || !slices.Contains(inv.Names(), n) {
			return nil, errors.New("[haproxy] via " + n + ": not a host of the inventory")
		}
	}
	return hosts, nil
}

// hinted adds a suggestion for the person running drover to err.
func hinted(err error, format string, args ...any) error {
	return &inventory.HintError{Err: err, Hint: fmt.Sprintf(format, args...)}
}
