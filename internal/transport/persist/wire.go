// Package persist keeps SSH connections open between drover commands, as
// OpenSSH's ControlPersist does: a background process of the user (the
// keeper) dials the hosts, authenticates and checks their keys, and hands
// out sessions on its connections to the commands that follow, through a
// socket in a directory only the user can enter. Dialer is the commands'
// side, a transport.Dialer; Serve is the keeper.
//
// A session's standard input and output are pipes of the command, passed
// to the keeper with the session request (SCM_RIGHTS), so the data goes
// straight between the command's pipes and the SSH channel; the socket
// carries only requests and answers, as JSON lines.
package persist

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// msg is every request and answer on the socket; Op says which fields
// count.
type msg struct {
	Op string `json:"op"`
	ID int    `json:"id,omitempty"` // pairs a dial or an ask with its answer

	// hello: the dialer's options and how long idle connections are kept.
	Options *DialOptions  `json:"options,omitempty"`
	Persist time.Duration `json:"persist,omitempty"`

	// dial, and the connection a session, forward or netdial is on.
	Endpoint   *transport.Endpoint `json:"endpoint,omitempty"`
	Conn       string              `json:"conn,omitempty"`
	Reused     bool                `json:"reused,omitempty"`
	Negotiated *sshx.Negotiated    `json:"negotiated,omitempty"` // what the kept connection agreed on

	// ask and answer: a password or an identity's passphrase.
	Kind  string `json:"kind,omitempty"`
	File  string `json:"file,omitempty"`
	Value string `json:"value,omitempty"`

	// pty, start and exit.
	Term  string   `json:"term,omitempty"`
	Rows  int      `json:"rows,omitempty"`
	Cols  int      `json:"cols,omitempty"`
	Cmd   string   `json:"cmd,omitempty"`
	Pipes []string `json:"pipes,omitempty"` // "stdin", "stdout", "stderr": the descriptors sent with it, in order
	Code  int      `json:"code,omitempty"`
	Sig   string   `json:"sig,omitempty"`

	// forward and netdial.
	Remote  string `json:"remote,omitempty"`
	Local   string `json:"local,omitempty"`
	Network string `json:"network,omitempty"`
	Addr    string `json:"addr,omitempty"`

	// Any answer: what went wrong; the host key problem or the lost
	// connection behind it, so that the command sees the same error types
	// as from a connection of its own.
	Error   string                  `json:"error,omitempty"`
	HostKey *transport.HostKeyError `json:"hostkey,omitempty"`
	Lost    bool                    `json:"lost,omitempty"`
	Count   int                     `json:"count,omitempty"` // exit: connections closed
}

// err rebuilds the error an answer carries; nil when it carries none.
func (m msg) err() error {
	switch {
	case m.HostKey != nil:
		return m.HostKey
	case m.Lost:
		return fmt.Errorf("%w: %s", transport.ErrLost, m.Error)
	case m.Error != "":
		return errors.New(m.Error)
	}
	return nil
}

// withErr fills m's error fields from err.
func (m msg) withErr(err error) msg {
	if err == nil {
		return m
	}
	m.Error = err.Error()
	var hk *transport.HostKeyError
	if errors.As(err, &hk) {
		m.HostKey = hk
	}
	m.Lost = errors.Is(err, transport.ErrLost)
	return m
}

// calls pairs requests sent with an ID (dial, ask) with their answers.
type calls struct {
	mu      sync.Mutex
	next    int
	waiting map[int]chan msg
	failed  error // once set, no call is opened
}

// open numbers a new call and returns the channel its answer comes on.
func (c *calls) open() (int, chan msg, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed != nil {
		return 0, nil, c.failed
	}
	if c.waiting == nil {
		c.waiting = map[int]chan msg{}
	}
	c.next++
	ch := make(chan msg, 1)
	c.waiting[c.next] = ch
	return c.next, ch, nil
}

// answer hands m to the call it answers, if one waits.
func (c *calls) answer(m msg) {
	c.mu.Lock()
	ch := c.waiting[m.ID]
	delete(c.waiting, m.ID)
	c.mu.Unlock()
	if ch != nil {
		ch <- m
	}
}

// drop forgets call id (its caller stopped waiting).
func (c *calls) drop(id int) {
	c.mu.Lock()
	delete(c.waiting, id)
	c.mu.Unlock()
}

// fail answers every waiting call with err, and every later open.
func (c *calls) fail(err error) {
	c.mu.Lock()
	waiting := c.waiting
	c.waiting, c.failed = nil, err
	c.mu.Unlock()
	for _, ch := range waiting {
		ch <- msg{}.withErr(err)
	}
}

// wire is one socket connection: JSON lines both ways, and descriptors
// received with them queued until the line that names them is read.
type wire struct {
	c   *net.UnixConn
	r   *bufio.Reader
	wmu sync.Mutex

	fmu sync.Mutex
	fds []int
}

func newWire(c *net.UnixConn) *wire {
	w := &wire{c: c}
	w.r = bufio.NewReader(fdReader{w})
	return w
}

// fdReader reads the socket and queues the descriptors that come with the
// bytes: they arrive with the first byte of the line that names them, so
// they are queued by the time that line is parsed.
type fdReader struct{ w *wire }

func (f fdReader) Read(p []byte) (int, error) {
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, _, _, err := f.w.c.ReadMsgUnix(p, oob)
	if oobn > 0 {
		f.w.queue(oob[:oobn])
	}
	// A read of a socket closed meanwhile (a session closed while its end
	// is awaited) reports -1, which bufio does not take.
	return max(n, 0), err
}

func (w *wire) queue(oob []byte) {
	cmsgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	w.fmu.Lock()
	defer w.fmu.Unlock()
	for _, cm := range cmsgs {
		if fds, err := syscall.ParseUnixRights(&cm); err == nil {
			w.fds = append(w.fds, fds...)
		}
	}
}

// files takes n received descriptors as files, in the order sent.
func (w *wire) files(n int) ([]*os.File, error) {
	w.fmu.Lock()
	defer w.fmu.Unlock()
	if len(w.fds) < n {
		return nil, fmt.Errorf("persist: %d descriptors expected, %d received", n, len(w.fds))
	}
	var out []*os.File
	for _, fd := range w.fds[:n] {
		// Non-blocking, so that the file is read and written through
		// the poller, not by a thread blocked in the system call.
		syscall.SetNonblock(fd, true)
		out = append(out, os.NewFile(uintptr(fd), "persist"))
	}
	w.fds = w.fds[n:]
	return out, nil
}

// send writes m as one line, with files' descriptors attached.
func (w *wire) send(m msg, files ...*os.File) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	var oob []byte
	if len(files) > 0 {
		fds := make([]int, len(files))
		for i, f := range files {
			if fds[i], err = rawFD(f); err != nil {
				return err
			}
		}
		oob = syscall.UnixRights(fds...)
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_, _, err = w.c.WriteMsgUnix(b, oob, nil)
	return err
}

// rawFD is f's descriptor. Unlike f.Fd it leaves the descriptor in
// non-blocking mode, which the receiver shares: a blocking pipe would cost
// the keeper a thread in read(2) for every session's stdin.
func rawFD(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	fd := -1
	if err := rc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return 0, err
	}
	return fd, nil
}

// recv reads the next line.
func (w *wire) recv() (msg, error) {
	line, err := w.r.ReadBytes('\n')
	if err != nil {
		return msg{}, err
	}
	var m msg
	if err := json.Unmarshal(line, &m); err != nil {
		return msg{}, fmt.Errorf("persist: bad message: %w", err)
	}
	return m, nil
}

// Close closes the socket and any descriptors received but not taken.
func (w *wire) Close() error {
	w.fmu.Lock()
	for _, fd := range w.fds {
		syscall.Close(fd)
	}
	w.fds = nil
	w.fmu.Unlock()
	return w.c.Close()
}
