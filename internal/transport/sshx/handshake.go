package sshx

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// handshake runs the SSH handshake and authentication on nc. It gives up
// after timeout, except while a person is typing the password, and
// when ctx is cancelled; giving up closes nc. The host's global requests
// are answered by a watcher (see watchRequests), which also tells when
// the connection ends.
//
// The handshake runs on the caller's goroutine: giving up closes nc from
// a timer or from ctx's end, which fails the handshake's reads and writes.
// A goroutine per handshake, waited for in a select, would cost every
// host a goroutine and a hand-over more, which at a thousand hosts is
// measurable client CPU.
func (d *Dialer) handshake(ctx context.Context, nc net.Conn, addr string, cfg *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, *watched, error) {
	g := newHandshakeGuard(nc, timeout, d.asking)
	stop := context.AfterFunc(ctx, func() { g.giveUp(ctx.Err()) })
	c, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
	stop()
	if why := g.end(); why != nil {
		if err == nil {
			c.Close()
		}
		return nil, nil, fmt.Errorf("ssh handshake with %s: %w", addr, why)
	}
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("ssh handshake with %s: %w", addr, err)
	}
	return ssh.NewClient(c, chans, noRequests), watchRequests(reqs), nil
}

// handshakeGuard closes a connection whose handshake takes longer than
// its timeout. While a person is typing a password or passphrase the
// clock is held: after the answer, the handshake gets a whole timeout
// again to finish.
type handshakeGuard struct {
	nc      net.Conn
	timeout time.Duration
	asking  func() bool

	mu    sync.Mutex
	timer *time.Timer
	asked bool  // a person was typing when the timer last fired
	why   error // why the handshake was given up; nil while it may go on
	ended bool  // the handshake returned: nothing more is closed
}

func newHandshakeGuard(nc net.Conn, timeout time.Duration, asking func() bool) *handshakeGuard {
	g := &handshakeGuard{nc: nc, timeout: timeout, asking: asking}
	g.mu.Lock()
	g.timer = time.AfterFunc(timeout, g.tick)
	g.mu.Unlock()
	return g
}

func (g *handshakeGuard) tick() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ended || g.why != nil {
		return
	}
	if asking := g.asking(); asking || g.asked {
		g.asked = asking
		g.timer.Reset(g.timeout)
		return
	}
	g.closeLocked(fmt.Errorf("no answer within %s", g.timeout))
}

// giveUp closes the connection for why, unless the handshake has returned.
func (g *handshakeGuard) giveUp(why error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.ended && g.why == nil {
		g.closeLocked(why)
	}
}

func (g *handshakeGuard) closeLocked(why error) {
	g.why = why
	g.nc.Close()
}

// end stops the guard once the handshake has returned and says why it was
// given up, if it was: then the connection is closed, whatever the
// handshake returned.
func (g *handshakeGuard) end() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ended = true
	g.timer.Stop()
	return g.why
}
