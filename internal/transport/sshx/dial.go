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
	if network == "unix" {
		return c.client.Dial(network, addr) // no context form for unix sockets
	}
	return c.client.DialContext(ctx, network, addr)
}
