package sshx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// authMethods returns the methods OpenSSH would try, in its order: agent
// keys, identity files, then the password. The keys are one method: the
// SSH client tries each method name once, so a second publickey method
// would never run after the first failed. The returned cleanup closes the
// agent connection once the handshake is over.
func (d *Dialer) authMethods(ctx context.Context, identities []string) ([]ssh.AuthMethod, func(), error) {
	files, err := d.identities.load(identities)
	if err != nil {
		return nil, nil, err
	}
	ag, cleanup := d.agent()
	keys := func() ([]ssh.Signer, error) {
		var signers []ssh.Signer
		if ag != nil {
			if s, err := ag.Signers(); err == nil {
				signers = s
			}
		}
		return append(signers, files...), nil
	}
	methods := []ssh.AuthMethod{ssh.PublicKeysCallback(keys)}
	if d.password != nil {
		methods = append(methods, ssh.PasswordCallback(func() (string, error) {
			return d.password.get(ctx)
		}))
	}
	return methods, cleanup, nil
}

// agent connects to the ssh-agent. An agent that cannot be reached is
// skipped, as OpenSSH does.
func (d *Dialer) agent() (agent.ExtendedAgent, func()) {
	if d.opts.AgentSocket == "" {
		return nil, func() {}
	}
	c, err := net.Dial("unix", d.opts.AgentSocket)
	if err != nil {
		return nil, func() {}
	}
	return agent.NewClient(c), func() { c.Close() }
}

// identityCache parses each identity file once per Dialer.
type identityCache struct {
	mu      sync.Mutex
	signers map[string]ssh.Signer
}

func newIdentityCache() *identityCache {
	return &identityCache{signers: make(map[string]ssh.Signer)}
}

func (c *identityCache) load(paths []string) ([]ssh.Signer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	signers := make([]ssh.Signer, 0, len(paths))
	for _, p := range paths {
		s, ok := c.signers[p]
		if !ok {
			var err error
			if s, err = readIdentity(p); err != nil {
				return nil, err
			}
			c.signers[p] = s
		}
		signers = append(signers, s)
	}
	return signers, nil
}

// EncryptedKeyError reports an identity file protected by a passphrase,
// which drover does not ask for.
type EncryptedKeyError struct {
	File string
}

func (e *EncryptedKeyError) Error() string {
	return fmt.Sprintf("identity file %s is encrypted; add it to ssh-agent (ssh-add %s) and run again", e.File, e.File)
}

func readIdentity(path string) (ssh.Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read identity file: %w", err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, &EncryptedKeyError{File: path}
	}
	if err != nil {
		return nil, fmt.Errorf("parse identity file %s: %w", path, err)
	}
	return s, nil
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
