// Package sshx is drover's SSH transport, built on golang.org/x/crypto/ssh.
// It implements transport.Dialer: authentication by ssh-agent, identity
// files and an optional password asked once; host key checks against
// known_hosts files (hashed entries included) with OpenSSH's accept-new
// behaviour, certificates, @cert-authority and @revoked; ProxyJump chains
// whose jump hosts are shared by every target behind them; ProxyCommand;
// keepalives that declare a frozen host lost; sessions with PTYs and remote
// port forwarding.
//
// It does not read ~/.ssh/config, expand inventories or prompt on a terminal:
// the caller resolves every Endpoint and supplies the password function.
package sshx

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/transport"
)

// Options configures a Dialer. The zero value is usable: no agent, no
// password, unknown host keys refused, OpenSSH-like timeouts.
type Options struct {
	// AcceptNew writes unknown host keys to the endpoint's first known_hosts
	// file (OpenSSH's accept-new). A changed key is never accepted.
	AcceptNew bool

	// Password returns the SSH password. It is called at most once per
	// Dialer, when a host first asks for a password; concurrent dials wait
	// for that call and every host reuses its answer. nil disables password
	// authentication.
	Password func(ctx context.Context) (string, error)

	// AgentSocket is the ssh-agent socket (SSH_AUTH_SOCK); "" means no agent.
	AgentSocket string

	// ConnectTimeout bounds the TCP connect, and separately the handshake
	// with authentication, of every hop. Time spent waiting for Password
	// does not count. Default 10s.
	ConnectTimeout time.Duration

	// KeepaliveInterval is how often keepalive@openssh.com is sent.
	// Default 5s.
	KeepaliveInterval time.Duration

	// KeepaliveCountMax is how many keepalive intervals may pass without an
	// answer before the connection is declared lost. Default 3.
	KeepaliveCountMax int

	// Authentication and host keys, as OpenSSH does them.

	// Passphrase returns the passphrase of an encrypted identity file that
	// the agent does not hold. It is called at most once per file and
	// Dialer (three times if the answer is wrong), when a host first
	// accepts that key; every host reuses the key. nil: such a key cannot
	// be used (the dial fails with *EncryptedKeyError if a host wants it).
	Passphrase func(ctx context.Context, file string) (string, error)

	// StrictHostKeyChecking is the default for endpoints that do not set
	// one: "yes" and "ask" refuse unknown keys, "accept-new", "no" and
	// "off" record them. "" means "ask", unless AcceptNew is set. A
	// changed or revoked key is refused whatever it says.
	StrictHostKeyChecking string

	// KeyExchanges overrides the key exchange preference (tests); nil
	// means OpenSSH's order, post-quantum hybrid first.
	KeyExchanges []string

	// Jump hosts.

	// JumpHandshakes is how many target handshakes may run at once through
	// one shared jump connection. Default 32: enough to keep a wide run
	// busy, few enough that the bastion forwards a bounded crowd.
	JumpHandshakes int
}

func (o Options) withDefaults() Options {
	if o.JumpHandshakes <= 0 {
		o.JumpHandshakes = 32
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.KeepaliveInterval <= 0 {
		o.KeepaliveInterval = 5 * time.Second
	}
	if o.KeepaliveCountMax <= 0 {
		o.KeepaliveCountMax = 3
	}
	return o
}

// Dialer connects to hosts over SSH. It is safe for concurrent use.
type Dialer struct {
	opts       Options
	password   *passwordOnce
	identities *identityCache
	knownHosts knownHostsCache
	knownMu    sync.Mutex // serialises appends to known_hosts files
	jumps      jumpPool
}

var _ transport.Dialer = (*Dialer)(nil)

// New returns a Dialer configured by opts.
func New(opts Options) *Dialer {
	d := &Dialer{
		opts:       opts.withDefaults(),
		identities: newIdentityCache(),
	}
	if opts.Password != nil {
		d.password = newPasswordOnce(opts.Password)
	}
	return d
}

// Dial connects to ep, through its jump hosts if it has any, and
// authenticates on every hop. Jump hosts are shared: see jumpPool.
func (d *Dialer) Dial(ctx context.Context, ep transport.Endpoint) (transport.Conn, error) {
	var held []*jumpConn
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			d.jumps.release(held[i])
		}
	}
	var prev *jumpConn
	for i := range ep.Jump {
		jump, over := ep.Jump[i], prev
		jump.Jump = nil
		jc, err := d.jumps.acquire(ctx, hopKey(ep.Jump[:i+1]), d.opts.JumpHandshakes, func(ctx context.Context) (hop, error) {
			return d.dialHop(ctx, over, jump)
		})
		if err != nil {
			release()
			return nil, fmt.Errorf("dial %s: jump host %s: %w", endpointName(ep), endpointName(jump), err)
		}
		held, prev = append(held, jc), jc
	}
	target := ep
	target.Jump = nil
	h, err := d.dialHop(ctx, prev, target)
	if err != nil {
		release()
		return nil, fmt.Errorf("dial %s: %w", endpointName(ep), err)
	}
	interval := cmp.Or(ep.ServerAliveInterval, d.opts.KeepaliveInterval)
	countMax := cmp.Or(ep.ServerAliveCountMax, d.opts.KeepaliveCountMax)
	return newConn(h, interval, countMax, release), nil
}

// Recheck verifies again the host key conn c (from this Dialer's Dial of
// ep) was accepted with, against ep's known_hosts files as they are now:
// a connection kept open for reuse is not used with a key that has since
// been removed, changed or revoked.
func (d *Dialer) Recheck(ep transport.Endpoint, c transport.Conn) error {
	cc, ok := c.(*conn)
	if !ok || cc.hostKey == nil {
		return fmt.Errorf("recheck %s: not a connection of this dialer", endpointName(ep))
	}
	target := ep
	target.Jump = nil
	hc, err := d.newHostKeyCheck(target)
	if err != nil {
		return err
	}
	return hc.verify(cc.hostKey)
}

// hop is one authenticated SSH connection: to the target or a jump host.
type hop struct {
	client   *ssh.Client
	watch    *watched      // its global requests; tells when it ends
	activity *activityConn // tells keepalives when the host last sent anything
	hostKey  ssh.PublicKey // the key it was accepted with
}

// dialHop opens the byte stream to ep (TCP, a ProxyCommand, or a
// direct-tcpip channel through the jump connection over) and runs the SSH
// handshake on it.
func (d *Dialer) dialHop(ctx context.Context, over *jumpConn, ep transport.Endpoint) (hop, error) {
	if over != nil {
		done, err := over.handshakeSlot(ctx)
		if err != nil {
			return hop{}, err
		}
		defer done()
	}
	cfg, check, cleanup, err := d.clientConfig(ctx, ep)
	if err != nil {
		return hop{}, err
	}
	defer cleanup()
	timeout := cmp.Or(ep.ConnectTimeout, d.opts.ConnectTimeout)
	nc, err := d.connect(ctx, over, ep, timeout)
	if err != nil {
		return hop{}, err
	}
	ac := &activityConn{Conn: nc}
	client, watch, err := d.handshake(ctx, ac, ep.Addr(), cfg, timeout)
	if hkErr := check.problem(); hkErr != nil {
		if client != nil {
			client.Close()
		}
		return hop{}, hkErr
	}
	if err != nil {
		return hop{}, err
	}
	return hop{client: client, watch: watch, activity: ac, hostKey: check.accepted()}, nil
}

// connect opens the byte stream to ep, bounded by timeout.
func (d *Dialer) connect(ctx context.Context, over *jumpConn, ep transport.Endpoint, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		nc  net.Conn
		err error
	)
	switch {
	case over != nil:
		nc, err = over.client.DialContext(ctx, "tcp", ep.Addr())
	case ep.ProxyCommand != "":
		return proxyDial(ctx, ep.ProxyCommand)
	default:
		nc, err = tcpDialer().DialContext(ctx, "tcp", ep.Addr())
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", ep.Addr(), err)
	}
	return tuneTCP(nc), nil
}

func endpointName(ep transport.Endpoint) string {
	if ep.Name != "" {
		return ep.Name
	}
	return ep.Addr()
}
