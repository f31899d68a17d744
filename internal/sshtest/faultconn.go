package sshtest

import (
	"net"
	"sync"

	gliderssh "github.com/gliderlabs/ssh"
)

// faultConn is a server-side connection that the host can drop or freeze.
// While the host is frozen, reads and writes wait: nothing reaches the SSH
// server and nothing leaves it.
type faultConn struct {
	net.Conn
	host      *Host
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

// wrapConn is the server's ConnCallback: it registers every accepted
// connection, before the SSH handshake, so Drop and Freeze reach it too.
func (h *Host) wrapConn(_ gliderssh.Context, conn net.Conn) net.Conn {
	c := &faultConn{Conn: conn, host: h, done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		conn.Close()
		return nil
	}
	h.conns[c] = struct{}{}
	h.accepted++
	return c
}

func (c *faultConn) Read(p []byte) (int, error) {
	if !c.host.waitThawed(c.done) {
		return 0, net.ErrClosed
	}
	n, err := c.Conn.Read(p)
	// Data that arrived just as the host froze is held, not processed.
	if !c.host.waitThawed(c.done) {
		return 0, net.ErrClosed
	}
	return n, err
}

func (c *faultConn) Write(p []byte) (int, error) {
	if !c.host.waitThawed(c.done) {
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

func (c *faultConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.done)
		c.host.mu.Lock()
		delete(c.host.conns, c)
		c.host.mu.Unlock()
		err = c.Conn.Close()
	})
	return err
}

// waitThawed returns true at once when the host is not frozen, true when it
// is thawed, and false when done is closed first.
func (h *Host) waitThawed(done <-chan struct{}) bool {
	h.mu.Lock()
	thaw := h.thaw
	h.mu.Unlock()
	if thaw == nil {
		return true
	}
	select {
	case <-thaw:
		return true
	case <-done:
		return false
	}
}
