package target

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/persist"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// Dialer builds the SSH dialer for these flags, for hosts. The password
// and identity passphrases, when asked for, are read once from the
// terminal on first use and handed to learn (the redactor) before they are
// used. With no terminal, --ask-pass is refused, and so is an encrypted
// identity that the agent does not hold: nobody could type its passphrase.
// StrictHostKeyChecking from ssh_config applies per host; hosts without
// it are checked as "ask" (unknown keys stop pre-flight) unless
// --accept-new-host-keys is given, which overrides it.
func (o *Options) Dialer(env Env, learn func(string), hosts []inventory.Host) (transport.Dialer, error) {
	opts := sshx.Options{
		AcceptNew:             o.AcceptNew,
		StrictHostKeyChecking: "ask",
		AgentSocket:           env.Getenv("SSH_AUTH_SOCK"),
		ConnectTimeout:        o.Timeout,
		// A dead or frozen host is declared lost within about 15 s.
		KeepaliveInterval: 4 * time.Second,
		KeepaliveCountMax: 3,
	}
	ask := func(ctx context.Context, prompt string) (string, error) {
		v, err := env.Term.ReadSecret(ctx, prompt)
		if err == nil && learn != nil {
			learn(v)
		}
		return v, err
	}
	if o.AskPass {
		if !env.Term.Interactive() {
			return nil, hinted(errors.New("--ask-pass needs a terminal to ask on"),
				"use ssh-agent or --identity for unattended runs")
		}
		opts.Password = func(ctx context.Context) (string, error) { return ask(ctx, "SSH password: ") }
	}
	if !env.Term.Interactive() {
		d := sshx.New(opts)
		if err := refuseEncrypted(d, hosts); err != nil {
			return nil, err
		}
		if o.Persist > 0 {
			return o.persistDialer(env, opts)
		}
		return d, nil
	}
	opts.Passphrase = func(ctx context.Context, file string) (string, error) {
		return ask(ctx, "Enter passphrase for key "+file+": ")
	}
	if o.Persist > 0 {
		return o.persistDialer(env, opts)
	}
	return sshx.New(opts), nil
}

// persistDialer is the dialer of --persist: the connection keeper dials
// with opts and asks its prompts back here.
func (o *Options) persistDialer(env Env, opts sshx.Options) (*persist.Dialer, error) {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	dir := persist.Dir(env.Getenv)
	if err := persist.Check(dir); err != nil {
		return nil, hinted(err, "make it private (chmod 700 %s), or run without --persist", dir)
	}
	return &persist.Dialer{
		Dir:     dir,
		Persist: o.Persist,
		Options: persist.DialOptions{
			AcceptNew:             opts.AcceptNew,
			StrictHostKeyChecking: opts.StrictHostKeyChecking,
			AgentSocket:           opts.AgentSocket,
			ConnectTimeout:        opts.ConnectTimeout,
			KeepaliveInterval:     opts.KeepaliveInterval,
			KeepaliveCountMax:     opts.KeepaliveCountMax,
			Password:              opts.Password != nil,
			Passphrase:            opts.Passphrase != nil,
		},
		Ask: func(ctx context.Context, kind, file string) (string, error) {
			if kind == "password" && opts.Password != nil {
				return opts.Password(ctx)
			}
			if kind == "passphrase" && opts.Passphrase != nil {
				return opts.Passphrase(ctx, file)
			}
			return "", fmt.Errorf("persist: nothing to ask for a %s with", kind)
		},
		Start: []string{exe, KeeperCommand, "--dir", dir},
	}, nil
}

// KeeperCommand is the hidden drover command that runs the connection
// keeper (persist.Serve).
const KeeperCommand = "persist-keeper"

// refuseEncrypted stops a command with no terminal when a host would need
// the passphrase of an identity the agent does not hold.
func refuseEncrypted(d *sshx.Dialer, hosts []inventory.Host) error {
	for _, h := range hosts {
		files, err := d.PassphraseNeeded(h.Endpoint)
		if err != nil {
			return fmt.Errorf("identity file for %s: %w", h.Name, err)
		}
		if len(files) > 0 {
			return hinted(fmt.Errorf("identity file %s (for %s) is encrypted, is not in ssh-agent and there is no terminal to ask for its passphrase", files[0], h.Name),
				"add it to the agent first: ssh-add %s", files[0])
		}
	}
	return nil
}
