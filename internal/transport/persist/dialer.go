package persist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// Dialer is a transport.Dialer whose connections the keeper holds: the
// first command that asks starts the keeper, which dials; later commands
// within Persist of the last one get the same connections, for the same
// endpoint and options, as long as the known_hosts files still accept the
// host's key. Closing a Conn gives it back to the keeper.
type Dialer struct {
	Dir     string        // the keeper's directory (see Dir)
	Persist time.Duration // how long the keeper keeps connections after the last command
	Options DialOptions
	// Ask asks the person at the terminal for a password (kind "password")
	// or the passphrase of an identity file (kind "passphrase"), when the
	// keeper needs one to dial.
	Ask func(ctx context.Context, kind, file string) (string, error)
	// Start is the command that runs the keeper (see Serve) when none
	// runs; nil: use a running keeper only.
	Start []string

	once sync.Once
	ctl  *control
	err  error
}

var _ transport.Dialer = (*Dialer)(nil)

// control is the command's control connection to the keeper.
type control struct {
	d *Dialer
	w *wire

	dials calls

	mu    sync.Mutex
	conns map[string][]*conn // by kept connection id
}

// connect opens the control connection, starting the keeper if needed.
func (d *Dialer) connect(ctx context.Context) (*control, error) {
	d.once.Do(func() {
		w, err := connectOrStart(ctx, d.Dir, d.Start)
		if err != nil {
			d.err = err
			return
		}
		if err := w.send(msg{Op: "hello", Options: &d.Options, Persist: d.Persist}); err != nil {
			w.Close()
			d.err = fmt.Errorf("persist: %w", err)
			return
		}
		if m, err := w.recv(); err != nil || m.Op != "hello" {
			w.Close()
			d.err = fmt.Errorf("persist: the connection keeper did not answer: %v", err)
			return
		}
		d.ctl = &control{d: d, w: w, conns: map[string][]*conn{}}
		go d.ctl.read()
	})
	return d.ctl, d.err
}

// read dispatches what the keeper sends until the socket closes; then
// every connection is lost.
func (ctl *control) read() {
	for {
		m, err := ctl.w.recv()
		if err != nil {
			ctl.fail(fmt.Errorf("%w: the connection keeper went away: %v", transport.ErrLost, err))
			return
		}
		switch m.Op {
		case "dialed":
			ctl.dials.answer(m)
		case "ask":
			go ctl.answer(m)
		case "lost":
			ctl.mu.Lock()
			conns := ctl.conns[m.Conn]
			delete(ctl.conns, m.Conn)
			ctl.mu.Unlock()
			for _, c := range conns {
				c.lose(m.err())
			}
		}
	}
}

func (ctl *control) answer(m msg) {
	reply := msg{Op: "answer", ID: m.ID}
	if ctl.d.Ask == nil {
		reply.Error = "no terminal to ask on"
	} else if v, err := ctl.d.Ask(context.Background(), m.Kind, m.File); err != nil {
		reply.Error = err.Error()
	} else {
		reply.Value = v
	}
	ctl.w.send(reply)
}

// fail ends every pending dial and connection with err.
func (ctl *control) fail(err error) {
	ctl.dials.fail(err)
	ctl.mu.Lock()
	conns := ctl.conns
	ctl.conns = map[string][]*conn{}
	ctl.mu.Unlock()
	for _, cs := range conns {
		for _, c := range cs {
			c.lose(err)
		}
	}
}

// Dial asks the keeper for a connection to ep.
func (d *Dialer) Dial(ctx context.Context, ep transport.Endpoint) (transport.Conn, error) {
	ctl, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	id, ch, err := ctl.dials.open()
	if err != nil {
		return nil, err
	}
	if err := ctl.w.send(msg{Op: "dial", ID: id, Endpoint: &ep}); err != nil {
		ctl.dials.drop(id)
		return nil, fmt.Errorf("persist: %w", err)
	}
	var m msg
	select {
	case m = <-ch:
	case <-ctx.Done():
		ctl.dials.drop(id)
		return nil, context.Cause(ctx)
	}
	if err := m.err(); err != nil {
		return nil, err
	}
	c := &conn{ctl: ctl, id: m.Conn, reused: m.Reused, negotiated: m.Negotiated, lost: make(chan struct{})}
	ctl.mu.Lock()
	ctl.conns[c.id] = append(ctl.conns[c.id], c)
	ctl.mu.Unlock()
	return c, nil
}

// Reused reports whether c is a connection the keeper kept from an
// earlier command.
func Reused(c transport.Conn) bool {
	pc, ok := c.(*conn)
	return ok && pc.reused
}

// conn is a connection the keeper holds.
type conn struct {
	ctl        *control
	id         string
	reused     bool
	negotiated *sshx.Negotiated

	lost     chan struct{}
	lostOnce sync.Once
	mu       sync.Mutex
	err      error
}

var _ transport.Conn = (*conn)(nil)

func (c *conn) lose(err error) {
	c.lostOnce.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.lost)
	})
}

func (c *conn) Lost() <-chan struct{} { return c.lost }

// Negotiated is what the kept connection agreed on with its host (read
// with sshx.NegotiatedOf, as for a connection of the command's own).
func (c *conn) Negotiated() sshx.Negotiated {
	if c.negotiated == nil {
		return sshx.Negotiated{}
	}
	return *c.negotiated
}

func (c *conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close gives the connection back to the keeper, which keeps it open.
func (c *conn) Close() error {
	c.lostOnce.Do(func() {
		close(c.lost)
		c.ctl.w.send(msg{Op: "release", Conn: c.id})
	})
	return nil
}

// stream opens a socket connection for one request on c and reads the
// answer to its first message, within ctx.
func (c *conn) stream(ctx context.Context, first msg, files ...*os.File) (*wire, error) {
	select {
	case <-c.lost:
		if err := c.Err(); err != nil {
			return nil, err
		}
		return nil, net.ErrClosed
	default:
	}
	w, err := dialSocket(ctx, c.ctl.d.Dir)
	if err != nil {
		return nil, fmt.Errorf("%w: the connection keeper went away: %v", transport.ErrLost, err)
	}
	first.Conn = c.id
	if err := w.send(first, files...); err != nil {
		w.Close()
		return nil, fmt.Errorf("persist: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { w.Close() })
	m, err := w.recv()
	interrupted := !stop()
	switch {
	case interrupted:
		w.Close()
		return nil, context.Cause(ctx)
	case err != nil:
		w.Close()
		return nil, fmt.Errorf("%w: the connection keeper went away: %v", transport.ErrLost, err)
	case m.err() != nil:
		w.Close()
		return nil, m.err()
	}
	return w, nil
}

// NewSession opens a session on the kept connection.
func (c *conn) NewSession(ctx context.Context) (transport.Session, error) {
	w, err := c.stream(ctx, msg{Op: "session"})
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	return &session{w: w, exit: make(chan msg, 1)}, nil
}

// ForwardRemote has the keeper forward remoteAddr on the host to
// localAddr on this machine (the keeper runs here too) until the returned
// Closer is closed.
func (c *conn) ForwardRemote(ctx context.Context, remoteAddr, localAddr string) (io.Closer, error) {
	w, err := c.stream(ctx, msg{Op: "forward", Remote: remoteAddr, Local: localAddr})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Dial opens a network connection from the host (transport.NetDialer).
func (c *conn) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	w, err := c.stream(ctx, msg{Op: "netdial", Network: network, Addr: addr})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	files, err := w.files(1)
	if err != nil {
		return nil, err
	}
	defer files[0].Close()
	return net.FileConn(files[0])
}

// session is a session on a kept connection: its pipes are this process's,
// handed to the keeper at Start.
type session struct {
	w       *wire
	pty     *msg
	pipes   []string
	theirs  []*os.File // the ends the keeper gets
	exit    chan msg
	started bool
	once    sync.Once
}

var errClosed = errors.New("session closed")

func (s *session) RequestPTY(term string, rows, cols int) error {
	s.pty = &msg{Op: "pty", Term: term, Rows: rows, Cols: cols}
	return nil
}

func (s *session) pipe(name string, mineReads bool) (*os.File, error) {
	if s.started {
		return nil, fmt.Errorf("%s pipe after Start", name)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	s.pipes = append(s.pipes, name)
	if mineReads {
		s.theirs = append(s.theirs, w)
		return r, nil
	}
	s.theirs = append(s.theirs, r)
	return w, nil
}

func (s *session) StdinPipe() (io.WriteCloser, error) { return s.pipe("stdin", false) }
func (s *session) StdoutPipe() (io.Reader, error)     { return s.pipe("stdout", true) }
func (s *session) StderrPipe() (io.Reader, error)     { return s.pipe("stderr", true) }

// Start asks for the PTY if one was requested, then starts cmd with the
// pipes.
func (s *session) Start(cmd string) error {
	s.started = true
	if s.pty != nil {
		if err := s.w.send(*s.pty); err != nil {
			return fmt.Errorf("request pty: %w", err)
		}
		if m, err := s.w.recv(); err != nil || m.err() != nil {
			return fmt.Errorf("request pty: %w", errors.Join(err, m.err()))
		}
	}
	err := s.w.send(msg{Op: "start", Cmd: cmd, Pipes: s.pipes}, s.theirs...)
	for _, f := range s.theirs {
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("start command: %w", err)
	}
	m, err := s.w.recv()
	if err != nil {
		return fmt.Errorf("start command: %w: the connection keeper went away: %v", transport.ErrLost, err)
	}
	if err := m.err(); err != nil {
		return fmt.Errorf("start command: %w", err)
	}
	go func() {
		m, err := s.w.recv()
		if err != nil {
			m = msg{Op: "exit"}.withErr(fmt.Errorf("%w: %v", errClosed, err))
		}
		s.exit <- m
	}()
	return nil
}

// Wait returns what the command's end was, once its output is delivered.
func (s *session) Wait() error {
	if !s.started {
		return errors.New("wait before start")
	}
	m := <-s.exit
	if err := m.err(); err != nil {
		return err
	}
	if m.Code != 0 || m.Sig != "" {
		code := m.Code
		if m.Sig != "" {
			code = -1
		}
		return &transport.ExitError{Code: code, Signal: m.Sig}
	}
	return nil
}

// Interrupt has the keeper interrupt the command, then closes the session.
func (s *session) Interrupt() error {
	err := s.w.send(msg{Op: "interrupt"})
	s.Close()
	return err
}

// Close ends the session: the keeper closes its channel.
func (s *session) Close() error {
	s.once.Do(func() {
		if !s.started {
			for _, f := range s.theirs {
				f.Close()
			}
		}
		s.w.Close()
	})
	return nil
}
