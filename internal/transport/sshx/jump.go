package sshx

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/transport"
)

// A jump host is reached once per Dialer: the first target behind it opens
// one SSH connection to it, and every other target behind the same hop
// (same address, user, keys, known_hosts and the hops before it) opens a
// direct-tcpip channel over that connection. So 200 targets behind a bastion
// cost the bastion one login, not 200, and its sshd's MaxStartups (10:30:100
// by default) never sees a crowd. The connection closes when the last target
// using it is closed.
//
// The targets' handshakes through one jump connection are limited as well
// (Options.JumpHandshakes), so the bastion forwards a bounded number of new
// connections at a time however wide the run's parallelism.

// jumpPool holds the shared jump connections of a Dialer. It is safe for
// concurrent use.
type jumpPool struct {
	mu    sync.Mutex
	conns map[string]*jumpConn
}

// jumpConn is one shared connection to a jump host.
type jumpConn struct {
	key   string
	ready chan struct{} // closed once client or err is set
	done  chan struct{} // closed when the connection ended
	refs  int           // targets (and later hops) using it; guarded by jumpPool.mu

	client *ssh.Client
	err    error
	slots  chan struct{} // bounds the handshakes in flight through it
}

// acquire returns the shared connection for key, dialling it with dial if
// nobody holds a live one. Concurrent callers for the same key wait for the
// one dial. The caller releases what it acquired.
func (p *jumpPool) acquire(ctx context.Context, key string, slots int, dial func(context.Context) (hop, error)) (*jumpConn, error) {
	p.mu.Lock()
	if p.conns == nil {
		p.conns = map[string]*jumpConn{}
	}
	jc, ok := p.conns[key]
	if ok && jc.ended() {
		delete(p.conns, key) // a dead one is never handed out again
		ok = false
	}
	if !ok {
		jc = &jumpConn{key: key, ready: make(chan struct{}), done: make(chan struct{}), slots: make(chan struct{}, slots)}
		p.conns[key] = jc
		go p.open(ctx, jc, dial)
	}
	jc.refs++
	p.mu.Unlock()
	select {
	case <-jc.ready:
	case <-ctx.Done():
		p.release(jc)
		return nil, ctx.Err()
	}
	if jc.err != nil {
		p.release(jc)
		return nil, jc.err
	}
	return jc, nil
}

// open dials the jump connection. It is not bound to the context of the
// caller that happened to come first: others wait for it too.
func (p *jumpPool) open(ctx context.Context, jc *jumpConn, dial func(context.Context) (hop, error)) {
	h, err := dial(context.WithoutCancel(ctx))
	jc.client, jc.err = h.client, err
	if jc.err != nil {
		close(jc.done)
		p.mu.Lock()
		if p.conns[jc.key] == jc {
			delete(p.conns, jc.key)
		}
		p.mu.Unlock()
	} else {
		h.watch.whenGone(func() { close(jc.done) })
		p.mu.Lock()
		orphan := jc.refs == 0 // everyone waiting gave up meanwhile
		p.mu.Unlock()
		if orphan {
			jc.client.Close()
		}
	}
	close(jc.ready)
}

// release gives back one reference; the last one closes the connection.
func (p *jumpPool) release(jc *jumpConn) {
	p.mu.Lock()
	jc.refs--
	last := jc.refs == 0
	if last && p.conns[jc.key] == jc {
		delete(p.conns, jc.key)
	}
	p.mu.Unlock()
	if last && jc.client != nil {
		jc.client.Close()
	}
}

func (jc *jumpConn) ended() bool {
	select {
	case <-jc.done:
		return true
	default:
		return false
	}
}

// handshakeSlot waits for a free handshake slot through jc; the returned
// func frees it.
func (jc *jumpConn) handshakeSlot(ctx context.Context) (func(), error) {
	select {
	case jc.slots <- struct{}{}:
		return func() { <-jc.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-jc.done:
		return nil, fmt.Errorf("%w: the jump connection ended", transport.ErrLost)
	}
}

// hopKey names a hop and everything that makes its connection the same
// one: the hops before it, the address, the login and how it is verified.
func hopKey(chain []transport.Endpoint) string {
	var b strings.Builder
	for _, ep := range chain {
		fmt.Fprintf(&b, "%s|%s|%q|%q|%q|%q|%s|%s|%s;", ep.User, ep.Addr(), ep.Identities, ep.Certificates,
			ep.KnownHosts, ep.GlobalKnownHosts, ep.HostKeyAlias, ep.IdentityAgent, ep.ProxyCommand)
	}
	return b.String()
}
