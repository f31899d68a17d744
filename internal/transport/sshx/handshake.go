package sshx

import (
	"context"
	"fmt"
	"net"
	"time"

	"golang.org/x/crypto/ssh"
)

// handshake runs the SSH handshake and authentication on nc. It gives up
// after timeout, except while a person is typing the password, and
// when ctx is cancelled; giving up closes nc. The host's global requests
// are answered by a watcher (see watchRequests), which also tells when
// the connection ends.
func (d *Dialer) handshake(ctx context.Context, nc net.Conn, addr string, cfg *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, *watched, error) {
	type result struct {
		client *ssh.Client
		watch  *watched
		err    error
	}
	done := make(chan result, 1)
	go func() {
		c, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{client: ssh.NewClient(c, chans, noRequests), watch: watchRequests(reqs)}
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	asked := false // a person was typing when the timer last fired
	for {
		select {
		case r := <-done:
			if r.err != nil {
				nc.Close()
				return nil, nil, fmt.Errorf("ssh handshake with %s: %w", addr, r.err)
			}
			return r.client, r.watch, nil
		case <-ctx.Done():
			nc.Close()
			<-done
			return nil, nil, fmt.Errorf("ssh handshake with %s: %w", addr, ctx.Err())
		case <-timer.C:
			if d.asking() || asked {
				// After the person answered, the handshake gets a whole
				// timeout again to finish.
				asked = d.asking()
				timer.Reset(timeout)
				continue
			}
			nc.Close()
			<-done
			return nil, nil, fmt.Errorf("ssh handshake with %s: no answer within %s", addr, timeout)
		}
	}
}
