package sshx

import (
	"context"
	"fmt"
	"net"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/drover-sh/drover/internal/transport"
)

// authMethods returns the methods OpenSSH would try, in its order: public
// keys (see keySet.order), then the password. The keys are one method: the
// SSH client tries each method name once, so a second publickey method
// would never run after the first failed. The returned cleanup closes the
// agent connection once the handshake is over.
func (d *Dialer) authMethods(ctx context.Context, ep transport.Endpoint) ([]ssh.AuthMethod, func(), error) {
	ids, err := d.identities.load(ep.Identities)
	if err != nil {
		return nil, nil, err
	}
	certs, err := d.identities.loadCerts(ep.Certificates)
	if err != nil {
		return nil, nil, err
	}
	ag, cleanup := dialAgent(d.agentSocket(ep))
	keys := func() ([]ssh.Signer, error) {
		set := keySet{certs: certs, ids: ids, identitiesOnly: ep.IdentitiesOnly, ctx: ctx, ask: d.opts.Passphrase}
		if ag != nil {
			set.agent, _ = ag.Signers() // an agent that fails is skipped, as ssh does
		}
		return set.order(), nil
	}
	methods := []ssh.AuthMethod{ssh.PublicKeysCallback(keys)}
	if d.password != nil {
		methods = append(methods, ssh.PasswordCallback(func() (string, error) {
			return d.password.get(ctx)
		}))
	}
	return methods, cleanup, nil
}

// agentSocket is the agent for ep: its IdentityAgent, else the Dialer's.
// "none" means no agent, "SSH_AUTH_SOCK" the Dialer's (the environment's).
func (d *Dialer) agentSocket(ep transport.Endpoint) string {
	switch ep.IdentityAgent {
	case "", "SSH_AUTH_SOCK", "$SSH_AUTH_SOCK", "${SSH_AUTH_SOCK}":
		return d.opts.AgentSocket
	case "none":
		return ""
	}
	return ep.IdentityAgent
}

// dialAgent connects to the ssh-agent at sock. An agent that cannot be
// reached is skipped, as OpenSSH does.
func dialAgent(sock string) (agent.ExtendedAgent, func()) {
	if sock == "" {
		return nil, func() {}
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		return nil, func() {}
	}
	return agent.NewClient(c), func() { c.Close() }
}

// asking reports whether a person is being asked for a password or a
// passphrase right now, which holds the handshake timeout.
func (d *Dialer) asking() bool {
	return d.identities.asking.Load() > 0 || (d.password != nil && d.password.asking())
}

// passwordOnce asks for the password once and hands the answer to every
// caller.
type passwordOnce struct {
	fn      func(ctx context.Context) (string, error)
	start   sync.Once
	done    chan struct{}
	started chan struct{}
	value   string
	err     error
}

func newPasswordOnce(fn func(ctx context.Context) (string, error)) *passwordOnce {
	return &passwordOnce{fn: fn, done: make(chan struct{}), started: make(chan struct{})}
}

// get returns the password, asking for it if nobody has yet. Callers that
// arrive while it is being asked wait for the answer or for their ctx.
func (p *passwordOnce) get(ctx context.Context) (string, error) {
	first := false
	p.start.Do(func() {
		first = true
		close(p.started)
	})
	if first {
		p.value, p.err = p.fn(ctx)
		if p.err != nil {
			p.err = fmt.Errorf("read password: %w", p.err)
		}
		close(p.done)
	}
	select {
	case <-p.done:
		return p.value, p.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// asking reports whether the password is being asked right now.
func (p *passwordOnce) asking() bool {
	select {
	case <-p.started:
	default:
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}
