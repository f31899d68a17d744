package cli

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/target"
)

// targetOptions are the target flags every command that touches hosts has:
// which hosts and how to reach them (package target), and how many at once.
type targetOptions struct {
	target.Options
	Parallel int
	Batches  string
}

// register adds the target flags of a command that runs steps: which
// hosts, how to reach them, and how many at a time in which batches.
func (o *targetOptions) register(fs *pflag.FlagSet) {
	o.registerReach(fs)
	fs.IntVarP(&o.Parallel, "parallel", "p", 0, "hosts in flight at most (default: the runbook's, 32 for exec)")
	fs.StringVar(&o.Batches, "batches", "", "batch sizes, e.g. 1,25%,100% (overrides the runbook)")
}

// registerReach adds the target flags of a command that reads or fixes
// every host at once (hosts, releases, unlock): which hosts and how to
// reach them.
func (o *targetOptions) registerReach(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Inventory, "inventory", "i", "", "inventory file (default $DROVER_INVENTORY, else ./inventory.toml)")
	fs.StringArrayVarP(&o.Groups, "group", "g", nil, "target group (repeatable, or a comma list)")
	fs.StringArrayVarP(&o.Hosts, "hosts", "H", nil, "target hosts: comma list, ranges like web[01:12], user@host:port")
	fs.StringVar(&o.Limit, "limit", "", "keep only hosts whose name matches one of these globs")
	fs.StringVar(&o.Exclude, "exclude", "", "drop hosts whose name matches one of these globs")
	fs.BoolVar(&o.AcceptNew, "accept-new-host-keys", false, "accept and record unknown host keys (never changed ones)")
	fs.BoolVar(&o.AskPass, "ask-pass", false, "ask once for an SSH password, used for every host")
	fs.StringVarP(&o.User, "user", "u", "", "remote login name")
	fs.StringVar(&o.Identity, "identity", "", "private key file")
	fs.StringVar(&o.KnownHosts, "known-hosts", "", "known_hosts file")
	fs.StringVarP(&o.SSHConfig, "ssh-config", "F", "", "ssh_config file to read instead of ~/.ssh/config and /etc/ssh/ssh_config (like ssh -F)")
	o.Timeout = 10 * time.Second
	fs.Var(givenDuration{d: &o.Timeout, given: &o.TimeoutSet, positive: true, example: "30s"}, "timeout", "connect and handshake timeout per host (default: ssh_config's ConnectTimeout, else 10s)")
	fs.Var(givenDuration{d: &o.Persist, given: &o.PersistSet, example: "60s"}, "persist", "keep the connections open this long for the next command, e.g. 60s (default: the inventory's persist, else off; drover disconnect closes them)")
}

// givenDuration is a duration flag remembered as given on the command
// line, so that it overrides the inventory's or ssh_config's value:
// --persist (0 allowed: off) and --timeout (positive).
type givenDuration struct {
	d        *time.Duration
	given    *bool
	positive bool
	example  string // shown when the value is refused, e.g. "60s"
}

func (f givenDuration) String() string {
	if f.d == nil || !*f.given {
		return "" // the help names the default
	}
	return f.d.String()
}

func (f givenDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || (f.positive && d == 0) {
		return fmt.Errorf("%q is not a duration like %s", s, f.example)
	}
	*f.d, *f.given = d, true
	return nil
}

func (givenDuration) Type() string { return "duration" }

// overrides adds -p and --batches to ov.
func (o *targetOptions) overrides(ov plan.Overrides) plan.Overrides {
	ov.Parallel, ov.Batches = o.Parallel, o.Batches
	return ov
}

// resolve returns the targeted hosts; defaultGroup is the runbook's
// target. Its errors are bad usage.
func (o *targetOptions) resolve(env *env, defaultGroup string) ([]inventory.Host, *inventory.Inventory, error) {
	hosts, inv, err := o.Resolve(env.target(), defaultGroup)
	if err != nil {
		return nil, nil, usageErr(err)
	}
	return hosts, inv, nil
}
