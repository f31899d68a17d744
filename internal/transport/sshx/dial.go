package sshx

import (
	"context"
	"net"

	"github.com/drover-sh/drover/internal/transport"
)

var _ transport.NetDialer = (*conn)(nil)

// Dial opens a "direct-tcpip" channel to a TCP address, or a
// "direct-streamlocal@openssh.com" channel to a unix socket path, as seen
// from the host.
func (c *conn) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := c.Err(); err != nil {
		return nil, err
	}
	done := c.use()
	var nc net.Conn
	var err error
	if network == "unix" {
		nc, err = c.client.Dial(network, addr) // no context form for unix sockets
	} else {
		nc, err = c.client.DialContext(ctx, network, addr)
	}
	if err != nil {
		done()
		return nil, err
	}
	return &usedConn{Conn: nc, done: done}, nil
}

// usedConn is a network connection from the host: the SSH connection is in
// use until it is closed.
type usedConn struct {
	net.Conn
	done func()
}

func (u *usedConn) Close() error {
	u.done()
	return u.Conn.Close()
}
