package persist

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// DialOptions are the parts of sshx.Options a command hands the keeper;
// the prompts are asked back on the command's terminal.
type DialOptions struct {
	AcceptNew             bool          `json:"accept_new,omitempty"`
	StrictHostKeyChecking string        `json:"strict,omitempty"`
	AgentSocket           string        `json:"agent,omitempty"`
	ConnectTimeout        time.Duration `json:"connect_timeout,omitempty"`
	KeepaliveInterval     time.Duration `json:"keepalive_interval,omitempty"`
	KeepaliveCountMax     int           `json:"keepalive_count,omitempty"`
	Password              bool          `json:"password,omitempty"`   // ask for a password
	Passphrase            bool          `json:"passphrase,omitempty"` // ask for identity passphrases
}

// keeper holds the connections.
type keeper struct {
	dir  string
	ln   *net.UnixListener
	quit chan struct{}
	once sync.Once

	mu      sync.Mutex
	pool    map[string]*kept // by key: endpoint and options
	byID    map[string]*kept
	clients int           // commands connected
	idle    time.Duration // how long to stay with none
	timer   *time.Timer
}

// kept is one connection and the commands using it.
type kept struct {
	id, key string
	ep      transport.Endpoint
	dialer  *sshx.Dialer
	conn    transport.Conn
	users   map[*client]bool
}

// client is one command's control connection.
type client struct {
	k      *keeper
	w      *wire
	dialer *sshx.Dialer
	ctx    context.Context // ends with the command
	opts   DialOptions

	asks calls

	mu    sync.Mutex
	conns map[*kept]bool
}

// Serve runs the keeper of dir until it has had no command for the idle
// time the last command asked for, or is told to exit. It returns nil at
// once when another keeper holds dir.
func Serve(dir string) error {
	if err := privateDir(dir); err != nil {
		return err
	}
	lock, err := os.OpenFile(lockPath(dir), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	defer lock.Close()
	if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return nil
	}
	os.Remove(socketPath(dir))
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: socketPath(dir), Net: "unix"})
	if err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	os.Chmod(socketPath(dir), 0o600)
	k := &keeper{dir: dir, ln: ln, quit: make(chan struct{}), pool: map[string]*kept{}, byID: map[string]*kept{},
		idle: time.Minute}
	k.timer = time.AfterFunc(k.idle, k.idleCheck)
	go func() {
		<-k.quit
		ln.Close()
	}()
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			break
		}
		go k.serve(c)
	}
	k.closeAll()
	return nil
}

// stop ends Serve.
func (k *keeper) stop() { k.once.Do(func() { close(k.quit) }) }

// idleCheck stops the keeper when no command is connected.
func (k *keeper) idleCheck() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.clients == 0 {
		k.stop()
	}
}

// closeAll closes every connection; it returns how many there were.
func (k *keeper) closeAll() int {
	k.mu.Lock()
	all := k.byID
	k.pool, k.byID = map[string]*kept{}, map[string]*kept{}
	k.mu.Unlock()
	for _, c := range all {
		c.conn.Close()
	}
	return len(all)
}

// serve handles one socket connection: a command's control connection, or
// one of its sessions, forwards or network dials.
func (k *keeper) serve(c *net.UnixConn) {
	w := newWire(c)
	defer w.Close()
	if !sameUser(c) {
		return
	}
	first, err := w.recv()
	if err != nil {
		return
	}
	switch first.Op {
	case "hello":
		k.control(w, first)
	case "session":
		k.session(w, first)
	case "forward":
		k.forward(w, first)
	case "netdial":
		k.netdial(w, first)
	case "exit":
		n := k.closeAll()
		w.send(msg{Op: "bye", Count: n})
		k.stop()
	}
}

// sameUser reports whether the peer of c runs as this process's user.
func sameUser(c *net.UnixConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var cred *syscall.Ucred
	raw.Control(func(fd uintptr) {
		cred, err = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	return err == nil && cred != nil && int(cred.Uid) == os.Getuid()
}

// control serves a command's control connection until the command ends.
func (k *keeper) control(w *wire, hello msg) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cl := &client{k: k, w: w, ctx: ctx, conns: map[*kept]bool{}}
	if hello.Options != nil {
		cl.opts = *hello.Options
	}
	cl.dialer = sshx.New(cl.sshxOptions())
	k.mu.Lock()
	k.clients++
	if hello.Persist > 0 {
		k.idle = hello.Persist
	}
	k.timer.Stop()
	k.mu.Unlock()
	defer func() {
		cl.releaseAll()
		k.mu.Lock()
		k.clients--
		if k.clients == 0 {
			k.timer.Reset(k.idle)
		}
		k.mu.Unlock()
	}()
	w.send(msg{Op: "hello"})
	for {
		m, err := w.recv()
		if err != nil {
			return
		}
		switch m.Op {
		case "dial":
			go cl.dial(m)
		case "answer":
			cl.asks.answer(m)
		case "release":
			cl.release(m.Conn)
		}
	}
}

// sshxOptions are the dialer's options, with prompts asked back on the
// command's terminal.
func (cl *client) sshxOptions() sshx.Options {
	o := sshx.Options{
		AcceptNew:             cl.opts.AcceptNew,
		StrictHostKeyChecking: cl.opts.StrictHostKeyChecking,
		AgentSocket:           cl.opts.AgentSocket,
		ConnectTimeout:        cl.opts.ConnectTimeout,
		KeepaliveInterval:     cl.opts.KeepaliveInterval,
		KeepaliveCountMax:     cl.opts.KeepaliveCountMax,
	}
	if cl.opts.Password {
		o.Password = func(ctx context.Context) (string, error) { return cl.ask(ctx, "password", "") }
	}
	if cl.opts.Passphrase {
		o.Passphrase = func(ctx context.Context, file string) (string, error) { return cl.ask(ctx, "passphrase", file) }
	}
	return o
}

// ask asks the command for a password or passphrase.
func (cl *client) ask(ctx context.Context, kind, file string) (string, error) {
	id, ch, err := cl.asks.open()
	if err != nil {
		return "", err
	}
	defer cl.asks.drop(id)
	if err := cl.w.send(msg{Op: "ask", ID: id, Kind: kind, File: file}); err != nil {
		return "", err
	}
	select {
	case m := <-ch:
		if err := m.err(); err != nil {
			return "", err
		}
		return m.Value, nil
	case <-ctx.Done():
		return "", context.Cause(ctx)
	case <-cl.ctx.Done():
		return "", errors.New("persist: the command ended")
	}
}

// key identifies a connection that may be reused: the same endpoint
// (user, address, port, keys, known_hosts files, jump hosts, ...) dialed
// with the same options.
func (cl *client) key(ep transport.Endpoint) string {
	b, _ := json.Marshal(struct {
		E transport.Endpoint
		O DialOptions
	}{ep, cl.opts})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// dial answers a dial request: a kept connection for the same key whose
// host key the known_hosts files still accept, else a new one.
func (cl *client) dial(m msg) {
	if m.Endpoint == nil {
		cl.w.send(msg{Op: "dialed", ID: m.ID, Error: "persist: dial without an endpoint"})
		return
	}
	ep := *m.Endpoint
	key := cl.key(ep)
	k := cl.k
	k.mu.Lock()
	c := k.pool[key]
	k.mu.Unlock()
	if c != nil {
		select {
		case <-c.conn.Lost():
			c = nil
		default:
		}
	}
	if c != nil {
		if err := c.dialer.Recheck(ep, c.conn); err != nil {
			k.drop(c)
			cl.w.send(msg{Op: "dialed", ID: m.ID}.withErr(err))
			return
		}
		cl.use(c)
		cl.w.send(msg{Op: "dialed", ID: m.ID, Conn: c.id, Reused: true, Negotiated: negotiated(c.conn)})
		return
	}
	conn, err := cl.dialer.Dial(cl.ctx, ep)
	if err != nil {
		cl.w.send(msg{Op: "dialed", ID: m.ID}.withErr(err))
		return
	}
	c = &kept{id: newID(), key: key, ep: ep, dialer: cl.dialer, conn: conn, users: map[*client]bool{}}
	k.mu.Lock()
	if old := k.pool[key]; old != nil && len(old.users) == 0 {
		delete(k.byID, old.id)
		go old.conn.Close()
	}
	k.pool[key] = c
	k.byID[c.id] = c
	k.mu.Unlock()
	go k.watch(c)
	cl.use(c)
	cl.w.send(msg{Op: "dialed", ID: m.ID, Conn: c.id, Negotiated: negotiated(conn)})
}

// negotiated is what c agreed on with its host, for drover hosts -v.
func negotiated(c transport.Conn) *sshx.Negotiated {
	if n, ok := sshx.NegotiatedOf(c); ok {
		return &n
	}
	return nil
}

// watch tells the users of c when it is lost, and forgets it.
func (k *keeper) watch(c *kept) {
	<-c.conn.Lost()
	err := c.conn.Err()
	if err == nil {
		return // closed by the keeper
	}
	k.mu.Lock()
	users := make([]*client, 0, len(c.users))
	for u := range c.users {
		users = append(users, u)
	}
	k.mu.Unlock()
	k.drop(c)
	for _, u := range users {
		u.w.send(msg{Op: "lost", Conn: c.id}.withErr(err))
	}
}

// drop forgets c and closes it.
func (k *keeper) drop(c *kept) {
	k.mu.Lock()
	if k.pool[c.key] == c {
		delete(k.pool, c.key)
	}
	delete(k.byID, c.id)
	k.mu.Unlock()
	c.conn.Close()
}

// use and release count the commands on c.
func (cl *client) use(c *kept) {
	cl.k.mu.Lock()
	c.users[cl] = true
	cl.k.mu.Unlock()
	cl.mu.Lock()
	cl.conns[c] = true
	cl.mu.Unlock()
}

func (cl *client) release(id string) {
	cl.k.mu.Lock()
	c := cl.k.byID[id]
	if c != nil {
		delete(c.users, cl)
	}
	cl.k.mu.Unlock()
	if c != nil {
		cl.mu.Lock()
		delete(cl.conns, c)
		cl.mu.Unlock()
	}
}

func (cl *client) releaseAll() {
	cl.mu.Lock()
	conns := cl.conns
	cl.conns = map[*kept]bool{}
	cl.mu.Unlock()
	cl.k.mu.Lock()
	for c := range conns {
		delete(c.users, cl)
	}
	cl.k.mu.Unlock()
}

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// conn returns the kept connection id, or an answer saying it is gone.
func (k *keeper) conn(id string) (transport.Conn, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.byID[id]
	if c == nil {
		return nil, fmt.Errorf("%w: the kept connection is gone", transport.ErrLost)
	}
	return c.conn, nil
}

// sessionOpen bounds how long opening a session on a kept connection
// may take; a host that does not answer is declared lost by keepalives
// before that.
const sessionOpen = time.Minute

// session serves one session: open, optional PTY, start with the
// command's pipes, then the exit status once the output is delivered.
func (k *keeper) session(w *wire, first msg) {
	conn, err := k.conn(first.Conn)
	if err != nil {
		w.send(msg{Op: "opened"}.withErr(err))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpen)
	sess, err := conn.NewSession(ctx)
	cancel()
	if err != nil {
		w.send(msg{Op: "opened"}.withErr(err))
		return
	}
	defer sess.Close()
	w.send(msg{Op: "opened"})
	var copies sync.WaitGroup
	for {
		m, err := w.recv()
		if err != nil {
			return // the command closed the session
		}
		switch m.Op {
		case "pty":
			w.send(msg{Op: "pty"}.withErr(sess.RequestPTY(m.Term, m.Rows, m.Cols)))
		case "start":
			if err := k.start(w, sess, m, &copies); err != nil {
				w.send(msg{Op: "started"}.withErr(err))
				return
			}
			w.send(msg{Op: "started"})
			go func() {
				err := sess.Wait()
				copies.Wait()
				w.send(exitMsg(err))
			}()
		case "interrupt":
			sess.Interrupt()
		}
	}
}

// start connects the descriptors sent with m to the session and starts
// its command.
func (k *keeper) start(w *wire, sess transport.Session, m msg, copies *sync.WaitGroup) error {
	files, err := w.files(len(m.Pipes))
	if err != nil {
		return err
	}
	for i, name := range m.Pipes {
		f := files[i]
		switch name {
		case "stdin":
			in, err := sess.StdinPipe()
			if err != nil {
				return err
			}
			go func() {
				transport.Copy(in, f)
				in.Close()
				f.Close()
			}()
		case "stdout", "stderr":
			var out io.Reader
			if name == "stdout" {
				out, err = sess.StdoutPipe()
			} else {
				out, err = sess.StderrPipe()
			}
			if err != nil {
				return err
			}
			copies.Go(func() {
				transport.Copy(f, out)
				f.Close()
			})
		default:
			return fmt.Errorf("persist: unknown pipe %q", name)
		}
	}
	return sess.Start(m.Cmd)
}

// exitMsg is the answer for what Wait returned.
func exitMsg(err error) msg {
	var ee *transport.ExitError
	if errors.As(err, &ee) {
		return msg{Op: "exit", Code: ee.Code, Sig: ee.Signal}
	}
	return msg{Op: "exit"}.withErr(err)
}

// forward serves a remote forward until the command closes it.
func (k *keeper) forward(w *wire, m msg) {
	conn, err := k.conn(m.Conn)
	if err != nil {
		w.send(msg{Op: "forwarding"}.withErr(err))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpen)
	closer, err := conn.ForwardRemote(ctx, m.Remote, m.Local)
	cancel()
	if err != nil {
		w.send(msg{Op: "forwarding"}.withErr(err))
		return
	}
	defer closer.Close()
	w.send(msg{Op: "forwarding"})
	for {
		if _, err := w.recv(); err != nil {
			return
		}
	}
}

// netdial opens a network connection from the host and hands the command
// one end of a socket pair joined to it.
func (k *keeper) netdial(w *wire, m msg) {
	conn, err := k.conn(m.Conn)
	if err != nil {
		w.send(msg{Op: "netdialed"}.withErr(err))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionOpen)
	nc, err := transport.DialVia(ctx, conn, m.Network, m.Addr)
	cancel()
	if err != nil {
		w.send(msg{Op: "netdialed"}.withErr(err))
		return
	}
	defer nc.Close()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		w.send(msg{Op: "netdialed"}.withErr(err))
		return
	}
	theirs, mine := os.NewFile(uintptr(fds[1]), "netdial"), os.NewFile(uintptr(fds[0]), "netdial")
	ours, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		theirs.Close()
		w.send(msg{Op: "netdialed"}.withErr(err))
		return
	}
	defer ours.Close()
	err = w.send(msg{Op: "netdialed"}, theirs)
	theirs.Close()
	if err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(nc, ours); done <- struct{}{} }()
	go func() { io.Copy(ours, nc); done <- struct{}{} }()
	<-done
}
