package sshx

import (
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// keepalive sends keepalive@openssh.com every interval while the
// connection is in use (see use) and declares it lost when countMax
// intervals pass while a request waits for its answer and nothing else
// arrives from the host either, as OpenSSH's ServerAliveCountMax does.
func (c *conn) keepalive(interval time.Duration, countMax int) {
	defer c.wg.Done()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	answered := make(chan error, 1)
	inFlight, missed := false, 0
	reads := c.activity.reads.Load()
	for {
		select {
		case <-c.closing:
			return
		case <-c.lost:
			return
		case err := <-answered:
			inFlight, missed = false, 0
			if err != nil {
				return // the transport ended; watch reports it
			}
		case <-ticker.C:
			if now := c.activity.reads.Load(); now != reads {
				reads, missed = now, 0 // the host is talking
			}
			if inFlight {
				missed++
				if missed >= countMax {
					c.lose(fmt.Errorf("%w: no answer to %d keepalives in %s", transport.ErrLost, missed, time.Duration(missed)*interval))
					return
				}
				continue
			}
			if c.busy.Load() == 0 {
				continue // idle: see use
			}
			inFlight = true
			c.wg.Add(1)
			go c.ping(answered)
		}
	}
}

// ping sends one keepalive and reports the outcome. It returns when the
// host answers or the connection closes.
func (c *conn) ping(answered chan<- error) {
	defer c.wg.Done()
	_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
	answered <- err
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
