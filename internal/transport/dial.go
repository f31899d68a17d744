package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// NetDialer is a Conn that can open network connections from the host's
// side, as ssh -L and -W do: "tcp" to HOST:PORT, "unix" to a socket path.
// Dial is safe for concurrent use; the caller closes the net.Conn, which
// also ends when the Conn is closed or lost. Cancelling ctx bounds the
// set-up only.
type NetDialer interface {
	Dial(ctx context.Context, network, addr string) (net.Conn, error)
}

// ErrNoDial is returned by DialVia for a Conn that cannot open network
// connections.
var ErrNoDial = errors.New("this connection cannot open network connections from the host")

// DialVia opens a network connection from c's host to addr.
func DialVia(ctx context.Context, c Conn, network, addr string) (net.Conn, error) {
	d, ok := c.(NetDialer)
	if !ok {
		return nil, ErrNoDial
	}
	nc, err := d.Dial(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s %s through ssh: %w", network, addr, err)
	}
	return nc, nil
}
