package sshx

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// keepalive sends keepalive@openssh.com every interval while the
// connection is in use (see use) and declares it lost when countMax
// intervals pass while a request waits for its answer and nothing else
// arrives from the host either, as OpenSSH's ServerAliveCountMax does.
// It is a timer, not a goroutine: a farm's connections wait idle for most
// of a run, and each goroutine would be a stack for the collector to scan.
type keepalive struct {
	c        *conn
	interval time.Duration
	countMax int

	mu       sync.Mutex
	timer    *time.Timer
	stopped  bool
	inFlight bool   // a keepalive waits for its answer
	missed   int    // ticks that passed while it waited, with nothing from the host
	reads    uint64 // the connection's reads at the last tick
}

func startKeepalive(c *conn, interval time.Duration, countMax int) *keepalive {
	k := &keepalive{c: c, interval: interval, countMax: countMax, reads: c.activity.reads.Load()}
	k.mu.Lock()
	k.timer = time.AfterFunc(interval, k.tick)
	k.mu.Unlock()
	return k
}

// stop ends the ticks; a keepalive in flight ends with the connection.
func (k *keepalive) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	k.timer.Stop()
}

func (k *keepalive) tick() {
	k.mu.Lock()
	if k.stopped || k.c.isGone() {
		k.stopped = true
		k.mu.Unlock()
		return
	}
	if now := k.c.activity.reads.Load(); now != k.reads {
		k.reads, k.missed = now, 0 // the host is talking
	}
	switch {
	case k.inFlight:
		k.missed++
		if k.missed >= k.countMax {
			k.stopped = true
			missed := k.missed
			k.mu.Unlock()
			k.c.lose(fmt.Errorf("%w: no answer to %d keepalives in %s", transport.ErrLost, missed, time.Duration(missed)*k.interval))
			return
		}
	case k.c.busy.Load() > 0: // idle: see use
		k.inFlight = true
		k.c.wg.Add(1) // before stop, which comes before Close waits
		go k.ping()
	}
	k.timer.Reset(k.interval)
	k.mu.Unlock()
}

// ping sends one keepalive and records the answer. It returns when the
// host answers or the connection closes.
func (k *keepalive) ping() {
	defer k.c.wg.Done()
	_, _, err := k.c.client.SendRequest("keepalive@openssh.com", true, nil)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.inFlight, k.missed = false, 0
	if err != nil {
		k.stopped = true // the transport ended; transportEnded reports it
		k.timer.Stop()
	}
}

// activityConn counts the reads that returned data, so keepalives can tell
// a host that is busy sending from one that is gone.
type activityConn struct {
	net.Conn
	reads atomic.Uint64
}

func (c *activityConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.reads.Add(1)
	}
	return n, err
}
