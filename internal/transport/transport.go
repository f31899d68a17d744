// Package transport defines how drover reaches hosts: a Dialer makes one
// authenticated connection per host, a Conn opens sessions and tunnels on it,
// and a Session runs one remote command.
//
// It holds interfaces, endpoint and error types and small helpers built on the
// interfaces only. It does not speak SSH itself (see transport/sshx) and knows
// nothing of runbooks, inventories or terminals.
package transport

import (
	"context"
	"io"
	"net"
	"strconv"
	"time"
)

// Endpoint is everything needed to reach and authenticate to one host: the
// settings `ssh -G` would print for it, already resolved (tokens expanded,
// paths absolute). A zero field means OpenSSH's default.
type Endpoint struct {
	Name       string   // the inventory name, used in messages
	Host       string   // the address or DNS name to dial
	Port       int      // TCP port; 0 means 22
	User       string   // login name
	Identities []string // IdentityFile: private key files, in the order given

	// Certificates are CertificateFile entries: user certificates offered
	// with the matching identity's key (FILE-cert.pub beside an identity is
	// picked up by the transport itself, as OpenSSH does).
	Certificates []string

	// IdentitiesOnly offers only Identities (and their certificates), even
	// when the agent holds other keys; the agent still signs them.
	IdentitiesOnly bool

	// IdentityAgent is the agent socket for this host: "" means the
	// Dialer's default (SSH_AUTH_SOCK), "none" disables the agent.
	IdentityAgent string

	KnownHosts       []string // UserKnownHostsFile; the first is written on accept-new
	GlobalKnownHosts []string // GlobalKnownHostsFile; read, never written

	// HostKeyAlias is the name looked up in (and written to) known_hosts
	// instead of the host's address.
	HostKeyAlias string

	// StrictHostKeyChecking is ssh_config's value ("yes", "accept-new",
	// "ask", "no", "off"); "" means the Dialer's default. A changed key is
	// refused whatever it says.
	StrictHostKeyChecking string

	// HashKnownHosts writes accepted keys as hashed entries.
	HashKnownHosts bool

	// ProxyCommand is run locally and its stdin/stdout are the transport
	// (tokens already expanded); "" means a TCP connection (or Jump).
	ProxyCommand string

	ConnectTimeout      time.Duration // 0: the Dialer's default
	ServerAliveInterval time.Duration // 0: the Dialer's default
	ServerAliveCountMax int           // 0: the Dialer's default

	Jump []Endpoint // ProxyJump chain, first hop first
}

// Addr is the host:port to dial.
func (e Endpoint) Addr() string {
	port := e.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(port))
}

// Dialer connects to hosts. Implementations are safe for concurrent use.
type Dialer interface {
	// Dial connects to ep and authenticates. ctx bounds the connection set-up
	// only; cancelling it later does not close the returned Conn. Host key
	// problems are returned as *HostKeyError.
	Dial(ctx context.Context, ep Endpoint) (Conn, error)
}

// Conn is one authenticated connection to a host. It is safe for concurrent
// use; the caller that dialed it closes it.
type Conn interface {
	// NewSession opens a session channel for one command. The caller closes
	// the session.
	NewSession(ctx context.Context) (Session, error)

	// ForwardRemote asks the host to listen on remoteAddr (e.g.
	// "127.0.0.1:9418") and connects every accepted connection to localAddr
	// on the control machine. Closing the returned Closer stops the listener.
	ForwardRemote(ctx context.Context, remoteAddr, localAddr string) (io.Closer, error)

	// Lost is closed when the connection is gone: closed, dropped by the
	// network, or declared dead because keepalives went unanswered.
	Lost() <-chan struct{}

	// Err says why the connection was lost; nil while it is alive or after
	// an orderly Close.
	Err() error

	// Close closes the connection and every session on it.
	Close() error
}

// Session runs one remote command. Set it up (RequestPTY, pipes) before
// Start; call Wait once. A Session is not safe for concurrent use, except
// that Interrupt and Close may be called while Wait blocks.
type Session interface {
	// RequestPTY asks for a pseudo-terminal. With a PTY, stderr is merged
	// into stdout and Interrupt sends ^C through it. The request may go
	// out with Start, whose error then says that the host refused it.
	RequestPTY(term string, rows, cols int) error
	StdinPipe() (io.WriteCloser, error)
	StdoutPipe() (io.Reader, error)
	StderrPipe() (io.Reader, error)

	// Start starts cmd in the login user's shell.
	Start(cmd string) error

	// Wait waits for the command to end. It returns nil for exit status 0,
	// *ExitError for another status or a signal, and another error when the
	// connection or session broke.
	Wait() error

	// Interrupt stops the remote command: ^C through the PTY (or an INT
	// signal without one), then Close. Wait returns soon after.
	Interrupt() error

	// Close closes the session channel. A blocked Wait returns.
	Close() error
}
