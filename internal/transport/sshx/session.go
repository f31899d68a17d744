package sshx

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/transport"
)

// errClosed is returned by Wait when the session was closed before the
// host reported how the command ended.
var errClosed = errors.New("session closed before the command ended")

// session runs one command on a session channel.
type session struct {
	conn *conn
	s    *ssh.Session
	done func() // ends the session's use of the connection

	pty      bool // RequestPTY was called; Start asks for the PTY
	ptyTerm  string
	ptyRows  int
	ptyCols  int
	stdin    io.WriteCloser // the channel's stdin, when a pipe or a PTY needs it
	userPipe bool           // StdinPipe was called

	// The caller's ends of the pipes are moved by pumps (see pipes.go),
	// so that Close ends a blocked read or write at once. Close may come
	// from another goroutine while the pipes are set up: pipeMu guards them.
	pipeMu sync.Mutex
	outs   []*io.PipeWriter // feed StdoutPipe and StderrPipe
	in     *io.PipeReader   // fed by StdinPipe

	started atomic.Bool   // Start succeeded; read by Close from any goroutine
	exited  chan struct{} // closed when ssh.Session.Wait returned
	waitErr error

	closed    chan struct{}
	closeOnce sync.Once
}

var _ transport.Session = (*session)(nil)

func newSession(c *conn, s *ssh.Session) *session {
	return &session{conn: c, s: s, exited: make(chan struct{}), closed: make(chan struct{})}
}

// RequestPTY notes the PTY; Start asks for it, just before the command,
// from the one goroutine that waits for both replies (see request).
func (s *session) RequestPTY(term string, rows, cols int) error {
	if s.started.Load() {
		return errors.New("request pty: command already started")
	}
	s.pty = true
	s.ptyTerm, s.ptyRows, s.ptyCols = term, rows, cols
	return nil
}

func (s *session) StdinPipe() (io.WriteCloser, error) {
	if s.userPipe {
		return nil, errors.New("stdin pipe: already taken")
	}
	if s.stdin == nil {
		w, err := s.s.StdinPipe()
		if err != nil {
			return nil, fmt.Errorf("stdin pipe: %w", err)
		}
		s.stdin = w
	}
	s.userPipe = true
	pr, pw := io.Pipe()
	s.pipeMu.Lock()
	s.in = pr
	if s.isClosed() {
		pr.CloseWithError(errClosed)
	}
	s.pipeMu.Unlock()
	go pumpIn(s.stdin, pr)
	return pw, nil
}

func (s *session) StdoutPipe() (io.Reader, error) {
	r, err := s.s.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("stdout pipe: %w", err)
	}
	return s.pumpOut(r), nil
}

func (s *session) StderrPipe() (io.Reader, error) {
	r, err := s.s.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("stderr pipe: %w", err)
	}
	return s.pumpOut(r), nil
}

// Start starts cmd. With a PTY and no stdin pipe taken by the caller, the
// session keeps the channel's stdin so that Interrupt can type ^C.
func (s *session) Start(cmd string) error {
	if s.pty && s.stdin == nil {
		w, err := s.s.StdinPipe()
		if err != nil {
			return fmt.Errorf("stdin pipe: %w", err)
		}
		s.stdin = w
	}
	if err := s.request(func() error { return s.start(cmd) }); err != nil {
		return fmt.Errorf("start command: %w", err)
	}
	s.started.Store(true)
	go s.waitExit()
	return nil
}

// start asks for the PTY, if the session has one, and starts cmd.
func (s *session) start(cmd string) error {
	if s.pty {
		modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
		if err := s.s.RequestPty(s.ptyTerm, s.ptyRows, s.ptyCols, modes); err != nil {
			return fmt.Errorf("request pty: %w", err)
		}
	}
	return s.s.Start(cmd)
}

// request runs fn, a channel request that waits for the host's reply, and
// returns early with errClosed when the session is closed meanwhile: a
// frozen host, or one whose sshd hangs, never replies. An abandoned fn ends
// with the channel, at the latest when the connection is closed.
func (s *session) request(fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			return s.conn.settle(err)
		}
		return nil
	case <-s.closed:
		return errClosed
	}
}

// waitExit waits for the host to report the end of the command. It ends
// when the channel closes, at the latest when the connection does.
func (s *session) waitExit() {
	s.waitErr = s.s.Wait()
	close(s.exited)
	s.conn.ended(s)
}

// Wait returns how the command ended. A Close or Interrupt makes it return
// at once, even if the host does not answer.
func (s *session) Wait() error {
	if !s.started.Load() {
		return errors.New("wait: command not started")
	}
	select {
	case <-s.exited:
		return s.exitError(s.waitErr)
	case <-s.closed:
	}
	select {
	case <-s.exited:
		return s.exitError(s.waitErr)
	default:
	}
	if s.conn.isLost() {
		return fmt.Errorf("wait for command: %w", s.conn.Err())
	}
	return errClosed
}

// exitError maps the result of ssh.Session.Wait to transport errors.
func (s *session) exitError(err error) error {
	var exit *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit) && exit.Signal() != "":
		return &transport.ExitError{Code: -1, Signal: strings.TrimPrefix(exit.Signal(), "SIG")}
	case errors.As(err, &exit):
		return &transport.ExitError{Code: exit.ExitStatus()}
	case s.conn.isLost():
		return fmt.Errorf("wait for command: %w", s.conn.Err())
	case errors.As(err, &missing):
		if s.isClosed() {
			return errClosed
		}
		return s.missingExit(err)
	default:
		return fmt.Errorf("wait for command: %w", err)
	}
}

// missingExit handles a channel that closed without an exit status: when
// the transport broke, the channels close just before the connection is
// declared lost (see goneDown).
func (s *session) missingExit(err error) error {
	if s.conn.goneDown() {
		return fmt.Errorf("wait for command: %w", s.conn.Err())
	}
	return fmt.Errorf("wait for command: %w", err)
}

func (s *session) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// Interrupt types ^C into the PTY, or sends SIGINT without one, then
// closes the session, which hangs up the PTY.
func (s *session) Interrupt() error {
	var err error
	if s.pty && s.stdin != nil {
		err = s.typeCtrlC()
	} else {
		err = s.s.Signal(ssh.SIGINT)
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("interrupt command: %w", err)
	}
	return nil
}

// ctrlCGrace is how long Interrupt waits to write ^C. A write can block
// when the host stopped reading stdin (its window is full); the session is
// closed anyway, and the write ends when the channel does.
const ctrlCGrace = 200 * time.Millisecond

func (s *session) typeCtrlC() error {
	done := make(chan error, 1)
	go func() {
		_, err := s.stdin.Write([]byte{0x03})
		done <- err
	}()
	t := time.NewTimer(ctrlCGrace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return nil
	}
}

// Close closes the session channel; a blocked Wait returns, and so do
// blocked reads and writes of the pipes: what the host did not send yet is
// not waited for.
func (s *session) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.started.Load() {
			s.conn.closedEarly(s)
		}
		s.endPipes()
		if s.done != nil {
			s.done()
		}
	})
	err := s.s.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("close session: %w", err)
	}
	return nil
}
