// Package enginetest provides a scripted, in-memory transport for tests of
// the engine and of its callers: every command a host is asked to run is
// answered by a script (output, exit status, and channels to hold it
// open), and the farm counts how many commands run at once.
//
// It runs no shell and no SSH; tests that need real commands use package
// sshtest.
package enginetest

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/drover-sh/drover/internal/transport"
)

// Reply is how a scripted command behaves.
type Reply struct {
	Stdout string        // written to stdout
	Stderr string        // written to stderr, after stdout
	Exit   int           // exit status
	Err    error         // when set, Wait returns it (e.g. a broken session)
	Hold   chan struct{} // when set, the command runs until it is closed or the session is interrupted
}

// Script answers the command cmd run on host. It is called from Start and
// may block (e.g. to let a test see the command start).
type Script func(host, cmd string) Reply

// Farm is a set of fake hosts sharing one script. It is safe for concurrent use.
type Farm struct {
	Script Script

	mu      sync.Mutex
	conns   map[string]*Conn
	running int
	maxRun  int
	log     []Command
	started chan Command
}

// Command is one command a host ran.
type Command struct {
	Host, Cmd string
	Stdin     string // what the command read on stdin
}

// NewFarm returns a farm whose hosts answer with script. Started receives
// every command as it starts when the test reads it; unread starts are
// dropped once its buffer of 1024 is full.
func NewFarm(script Script) *Farm {
	return &Farm{Script: script, conns: map[string]*Conn{}, started: make(chan Command, 1024)}
}

// Conn returns the connection of host, making it on first use.
func (f *Farm) Conn(host string) *Conn {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.conns[host]
	if c == nil {
		c = &Conn{farm: f, host: host, lost: make(chan struct{})}
		f.conns[host] = c
	}
	return c
}

// Conns returns connections for hosts, as the engine takes them.
func (f *Farm) Conns(hosts ...string) map[string]transport.Conn {
	m := map[string]transport.Conn{}
	for _, h := range hosts {
		m[h] = f.Conn(h)
	}
	return m
}

// Started is told of every command as it starts.
func (f *Farm) Started() <-chan Command { return f.started }

// MaxRunning is the most commands that ran at the same time.
func (f *Farm) MaxRunning() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxRun
}

// Commands returns every command run so far, in the order they ended.
func (f *Farm) Commands() []Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Command(nil), f.log...)
}

// HostCommands returns the commands host ran, in order.
func (f *Farm) HostCommands(host string) []string {
	var out []string
	for _, c := range f.Commands() {
		if c.Host == host {
			out = append(out, c.Cmd)
		}
	}
	return out
}

func (f *Farm) begin(c Command) {
	f.mu.Lock()
	f.running++
	f.maxRun = max(f.maxRun, f.running)
	f.mu.Unlock()
	select {
	case f.started <- c:
	default:
	}
}

func (f *Farm) end(c Command) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running--
	f.log = append(f.log, c)
}

// Conn is a fake connection to one host.
type Conn struct {
	farm *Farm
	host string

	mu       sync.Mutex
	lost     chan struct{}
	lostErr  error
	tunnels  []string
	sessions []*Session
}

var _ transport.Conn = (*Conn)(nil)

// NewSession implements transport.Conn.
func (c *Conn) NewSession(ctx context.Context) (transport.Session, error) {
	select {
	case <-c.lost:
		return nil, transport.ErrLost
	default:
	}
	s := newSession(c)
	c.mu.Lock()
	c.sessions = append(c.sessions, s)
	c.mu.Unlock()
	return s, nil
}

// ForwardRemote implements transport.Conn; it records the tunnel.
func (c *Conn) ForwardRemote(ctx context.Context, remote, local string) (io.Closer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tunnels = append(c.tunnels, remote+"->"+local)
	return io.NopCloser(nil), nil
}

// Tunnels returns the tunnels opened on the connection.
func (c *Conn) Tunnels() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.tunnels...)
}

// Lose breaks the connection: Lost is closed and running commands end.
func (c *Conn) Lose() {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.lost:
	default:
		c.lostErr = transport.ErrLost
		close(c.lost)
	}
}

// Lost implements transport.Conn.
func (c *Conn) Lost() <-chan struct{} { return c.lost }

// Err implements transport.Conn.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lostErr
}

// Close implements transport.Conn.
func (c *Conn) Close() error { return nil }

var errStarted = errors.New("session already started")

// SessionPerStep tells the engine to give each command a session of its
// own: a scripted host answers a command by its text and cannot run the
// engine's host shell.
func (c *Conn) SessionPerStep() bool { return true }
