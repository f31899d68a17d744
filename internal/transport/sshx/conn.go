package sshx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/transport"
)

// conn is one authenticated connection: the target's ssh.Client, and the
// shared jump connections it goes through (released on close).
type conn struct {
	client      *ssh.Client // the target
	releaseJump func()      // gives back the jump connections
	releaseOnce sync.Once
	activity    *activityConn // the target's byte stream
	hostKey     ssh.PublicKey // the key the target was accepted with
	busy        atomic.Int64  // sessions, forwards and network connections open or opening
	waitEnds    bool          // the server closes new sessions when a command ends (see closesIdleSessions)

	lost      chan struct{} // closed when the connection is gone
	lostOnce  sync.Once
	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	wg        sync.WaitGroup // transportEnded and keepalive pings
	keepalive *keepalive

	mu     sync.Mutex
	err    error
	ending map[*session]bool // closed before their command ended (see awaitEnds)
}

var _ transport.Conn = (*conn)(nil)

func newConn(h hop, interval time.Duration, countMax int, releaseJump func()) *conn {
	c := &conn{
		client:      h.client,
		waitEnds:    closesIdleSessions(string(h.client.ServerVersion())),
		releaseJump: releaseJump,
		activity:    h.activity,
		hostKey:     h.hostKey,
		lost:        make(chan struct{}),
		closing:     make(chan struct{}),
	}
	c.wg.Add(1)
	h.watch.whenGone(c.transportEnded)
	c.keepalive = startKeepalive(c, interval, countMax)
	return c
}

// transportEnded declares the connection lost when the SSH transport
// ended other than by Close.
func (c *conn) transportEnded() {
	defer c.wg.Done()
	err := c.client.Wait()
	select {
	case <-c.closing:
		return
	default:
	}
	if err == nil {
		err = io.EOF
	}
	c.lose(fmt.Errorf("%w: %v", transport.ErrLost, err))
}

// lose records why the connection is gone, closes Lost and then the
// network connection, so blocked calls return and see Err already set.
func (c *conn) lose(err error) {
	c.lostOnce.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.lost)
	})
	c.closeClients()
}

func (c *conn) closeClients() {
	c.client.Close()
	c.releaseOnce.Do(c.releaseJump)
}

func (c *conn) Lost() <-chan struct{} { return c.lost }

func (c *conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes every session, the connection and its jump hosts, and waits
// for the connection's goroutines.
func (c *conn) Close() error {
	c.closeOnce.Do(func() { close(c.closing) })
	c.keepalive.stop()
	c.lostOnce.Do(func() { close(c.lost) })
	c.closeClients()
	c.wg.Wait()
	return nil
}

// isGone reports whether the connection was closed or lost.
func (c *conn) isGone() bool {
	select {
	case <-c.lost:
		return true
	default:
		return false
	}
}

// isLost reports whether the connection broke (not an orderly Close).
func (c *conn) isLost() bool {
	select {
	case <-c.lost:
		return c.Err() != nil
	default:
		return false
	}
}

// settle returns the error a failed request reports: the connection's own
// when the connection is lost, also when it is declared lost only after
// the request saw EOF (see goneDown).
func (c *conn) settle(err error) error {
	if errors.Is(err, io.EOF) && c.goneDown() {
		return c.Err()
	}
	if c.isLost() {
		return c.Err()
	}
	return err
}

// lossWait bounds how long goneDown waits for the loss of a connection
// whose probe failed; the loss follows at once unless the machine is
// starved.
const lossWait = 10 * time.Second

// goneDown reports whether the connection is lost, when a channel or a
// request ended without an answer. The SSH library ends a dropped
// connection's channels and requests just before its Wait returns, so the
// loss may not be declared yet. A probe settles it without guessing a
// delay: a live connection answers, a broken one fails at once (and its
// loss follows), and one whose host stopped answering is declared lost by
// its keepalives.
func (c *conn) goneDown() bool {
	if c.isGone() {
		return c.isLost()
	}
	probe := make(chan error, 1)
	go func() {
		_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
		probe <- err
	}()
	select {
	case <-c.lost:
	case err := <-probe:
		if err == nil {
			return false
		}
		t := time.NewTimer(lossWait)
		defer t.Stop()
		select {
		case <-c.lost:
		case <-t.C:
		}
	}
	return c.isLost()
}

// NewSession opens a session channel. A host that does not answer holds
// it until ctx ends or the connection is declared lost.
func (c *conn) NewSession(ctx context.Context) (transport.Session, error) {
	done := c.use()
	c.awaitEnds(ctx)
	s, err := await(ctx, c, func() (*ssh.Session, error) { return c.client.NewSession() },
		func(s *ssh.Session) { s.Close() })
	if err != nil {
		done()
		return nil, fmt.Errorf("open session: %w", err)
	}
	sess := newSession(c, s)
	sess.done = done
	return sess, nil
}

// use counts the connection in use (a session, a forward or a network
// connection, open or opening) until the returned func is called. Only a
// connection in use is probed by keepalives: nothing waits on an idle
// one, and on a farm of 1,000 hosts waiting their turn the probes cost
// more client CPU than the work. An idle connection to a host that froze
// is declared lost once it is used again.
func (c *conn) use() func() {
	c.busy.Add(1)
	var once sync.Once
	return func() { once.Do(func() { c.busy.Add(-1) }) }
}

// await runs open, which blocks on the host, and returns its result unless
// ctx ends or the connection goes first; a late result is released with
// drop. The goroutine ends with open, at the latest when the connection
// closes.
func await[T any](ctx context.Context, c *conn, open func() (T, error), drop func(T)) (T, error) {
	var zero T
	select {
	case <-c.lost:
		if err := c.Err(); err != nil {
			return zero, err
		}
		return zero, net.ErrClosed
	default:
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := open()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return zero, c.settle(r.err)
		}
		return r.v, nil
	case <-ctx.Done():
	case <-c.lost:
	}
	go func() {
		if r := <-done; r.err == nil {
			drop(r.v)
		}
	}()
	if err := c.Err(); err != nil {
		return zero, err
	}
	if ctx.Err() != nil {
		return zero, ctx.Err()
	}
	return zero, net.ErrClosed
}
