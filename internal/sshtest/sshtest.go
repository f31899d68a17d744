// Package sshtest runs a farm of in-process SSH servers on loopback
// addresses, for tests and for `drover sandbox` and `drover demo`.
//
// Each host runs real commands through the configured shell, in a real
// pseudo-terminal when the client asks for one, with the host's own
// directory as HOME and working directory. Every command runs as the
// current OS user whatever the login name, in its own process group, and
// the whole group is hung up and killed when its session ends. Hosts can be
// made to fail on purpose: dropped connections, a frozen host, a host that
// is down, a new host key.
//
// It is not a secure server: any login name is accepted, there is no
// privilege separation and no isolation between hosts beyond their
// directories. It listens on the address it is given and is meant for
// 127.0.0.0/8 only.
package sshtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// Options says how to build a farm. The zero value plus Dir is a usable
// farm of one host.
type Options struct {
	Hosts     int      // number of hosts, named host01..hostNN; ignored when Names is set
	Names     []string // host names, overriding Hosts
	Dir       string   // base directory; host NAME lives in Dir/NAME (created): HOME and cwd
	Addr      string   // listen IP; default "127.0.0.1" (ports are random)
	Password  string   // if set, password auth with this password is accepted for any user
	NoKeyAuth bool     // refuse public-key auth (for password-only hosts)
	Shell     string   // default "/bin/sh"; commands run as Shell -c CMD
	Env       []string // extra environment for commands, KEY=VALUE

	// UserCA, when set, also lets in user certificates it signed that
	// list the login name and are valid now (TrustedUserCAKeys).
	UserCA gossh.PublicKey

	// MaxAuthTries is the server's limit of failed authentication
	// attempts per connection; 0 means x/crypto's default of 6.
	MaxAuthTries int

	// KillDelay is how long a hung-up command's process group has between
	// SIGHUP and SIGKILL. Default 500ms; tests may set it lower.
	KillDelay time.Duration
}

// Farm is a set of running hosts. Close it to stop every server and every
// process the farm started.
type Farm struct {
	Hosts     []*Host
	Dir       string // the base directory of every host
	ClientKey string // path of the generated ed25519 private key, authorized on all hosts

	opts Options
}

// Start starts every host of opts, each listening on its own random port,
// and writes the client key to Dir/client_ed25519. ctx bounds the start
// only. On error every host already started is closed.
func Start(ctx context.Context, opts Options) (*Farm, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	f := &Farm{Dir: opts.Dir, opts: opts}
	clientPub, err := writeClientKey(filepath.Join(opts.Dir, "client_ed25519"))
	if err != nil {
		return nil, err
	}
	f.ClientKey = filepath.Join(opts.Dir, "client_ed25519")
	for _, name := range opts.names() {
		if err := ctx.Err(); err != nil {
			f.Close()
			return nil, fmt.Errorf("start farm: %w", err)
		}
		h, err := startHost(name, opts, clientPub)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.Hosts = append(f.Hosts, h)
	}
	return f, nil
}

// Host returns the host called name, or nil.
func (f *Farm) Host(name string) *Host {
	for _, h := range f.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// Close stops every server, kills every process the farm started and waits
// for all of it to end.
func (f *Farm) Close() error {
	var errs []error
	for _, h := range f.Hosts {
		errs = append(errs, h.close())
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("sshtest: Options.Dir is required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("sshtest: resolve %s: %w", o.Dir, err)
	}
	o.Dir = dir
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return o, fmt.Errorf("sshtest: create farm directory: %w", err)
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1"
	}
	if o.Shell == "" {
		o.Shell = "/bin/sh"
	}
	if o.KillDelay <= 0 {
		o.KillDelay = 500 * time.Millisecond
	}
	if len(o.Names) == 0 && o.Hosts <= 0 {
		o.Hosts = 1
	}
	return o, checkNames(o.Names)
}

// checkNames rejects names that are empty, repeated or not usable as a
// directory name.
func checkNames(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		switch {
		case name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\"`):
			return fmt.Errorf("sshtest: bad host name %q", name)
		case seen[name]:
			return fmt.Errorf("sshtest: host name %q given twice", name)
		}
		seen[name] = true
	}
	return nil
}

func (o Options) names() []string {
	if len(o.Names) > 0 {
		return o.Names
	}
	names := make([]string, o.Hosts)
	for i := range names {
		names[i] = fmt.Sprintf("host%02d", i+1)
	}
	return names
}
