package sshx

import (
	"net"
	"sync/atomic"
	"syscall"
)

// tcpDialer dials the hosts' TCP connections. SSH sends small packets and
// waits for the answer: Nagle's algorithm on our side, or a delayed ACK
// that makes a host's own Nagle wait, would add tens of milliseconds to a
// handshake and to the first session. TCP_NODELAY is set on every
// connection (Go's default, made explicit), and where the system has it
// TCP_QUICKACK is set before the connection is made and again after every
// read, since the kernel drops it on its own.
func tcpDialer() *net.Dialer {
	return &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		c.Control(setQuickAck)
		return nil
	}}
}

// tuneTCP sets TCP_NODELAY on nc and, where the system has it, wraps it so
// that TCP_QUICKACK stays on.
func tuneTCP(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	tc.SetNoDelay(true)
	if !hasQuickAck {
		return nc
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	return &quickAckConn{TCPConn: tc, raw: raw}
}

// quickAckConn re-arms TCP_QUICKACK after a read that follows a write.
// The kernel delays ACKs again (its "pingpong" mode) only once it has sent
// data soon after receiving some; until drover writes again, reads leave
// the option as it is and cost no extra system call.
type quickAckConn struct {
	*net.TCPConn
	raw   syscall.RawConn
	wrote atomic.Bool // written since the option was last set
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	if n > 0 && c.wrote.Swap(false) {
		c.raw.Control(setQuickAck)
	}
	return n, err
}

func (c *quickAckConn) Write(p []byte) (int, error) {
	c.wrote.Store(true)
	return c.TCPConn.Write(p)
}
