package enginetest

import (
	"bytes"
	"io"
	"sync"

	"github.com/drover-sh/drover/internal/transport"
)

// Session is a fake session running one scripted command.
type Session struct {
	conn *Conn

	outR, errR *io.PipeReader
	outW, errW *io.PipeWriter
	stdin      *bytes.Buffer
	inR        *io.PipeReader
	inW        *io.PipeWriter

	once    sync.Once
	stop    chan struct{} // closed by Interrupt or Close
	done    chan struct{} // closed when the command ended
	err     error
	started bool
	pty     bool
}

var _ transport.Session = (*Session)(nil)

func newSession(c *Conn) *Session {
	s := &Session{conn: c, stop: make(chan struct{}), done: make(chan struct{})}
	s.outR, s.outW = io.Pipe()
	s.errR, s.errW = io.Pipe()
	return s
}

// RequestPTY implements transport.Session.
func (s *Session) RequestPTY(term string, rows, cols int) error { s.pty = true; return nil }

// StdinPipe implements transport.Session.
func (s *Session) StdinPipe() (io.WriteCloser, error) {
	s.inR, s.inW = io.Pipe()
	s.stdin = &bytes.Buffer{}
	return s.inW, nil
}

// StdoutPipe implements transport.Session.
func (s *Session) StdoutPipe() (io.Reader, error) { return s.outR, nil }

// StderrPipe implements transport.Session.
func (s *Session) StderrPipe() (io.Reader, error) { return s.errR, nil }

// Start implements transport.Session: it asks the farm's script and runs
// the reply in the background.
func (s *Session) Start(cmd string) error {
	if s.started {
		return errStarted
	}
	s.started = true
	f := s.conn.farm
	c := Command{Host: s.conn.host, Cmd: cmd}
	f.begin(c)
	reply := f.Script(c.Host, cmd)
	go s.play(c, reply)
	return nil
}

// play writes the reply's output, holds the command open as asked, and
// ends it.
func (s *Session) play(c Command, r Reply) {
	defer close(s.done)
	var in sync.WaitGroup
	if s.inR != nil {
		in.Go(func() { io.Copy(s.stdin, s.inR) })
	}
	s.write(s.outW, r.Stdout)
	s.write(s.errW, r.Stderr)
	if r.Hold != nil {
		select {
		case <-r.Hold:
		case <-s.stop:
		case <-s.conn.lost:
		}
	}
	interrupted := s.stopped()
	if s.inR != nil {
		if interrupted {
			s.inR.Close()
		}
		in.Wait()
		c.Stdin = s.stdin.String()
	}
	s.outW.Close()
	s.errW.Close()
	s.err = result(r, interrupted, s.conn)
	s.conn.farm.end(c)
}

func (s *Session) write(w io.Writer, text string) {
	if text == "" {
		return
	}
	done := make(chan struct{})
	go func() { defer close(done); io.WriteString(w, text) }()
	select {
	case <-done:
	case <-s.stop:
		s.outR.Close()
		s.errR.Close()
		<-done
	}
}

func (s *Session) stopped() bool {
	select {
	case <-s.stop:
		return true
	case <-s.conn.lost:
		return true
	default:
		return false
	}
}

func result(r Reply, interrupted bool, c *Conn) error {
	switch {
	case interrupted && c.Err() != nil:
		return c.Err()
	case interrupted:
		return &transport.ExitError{Code: -1, Signal: "INT"}
	case r.Err != nil:
		return r.Err
	case r.Exit != 0:
		return &transport.ExitError{Code: r.Exit}
	}
	return nil
}

// Wait implements transport.Session.
func (s *Session) Wait() error {
	<-s.done
	return s.err
}

// Interrupt implements transport.Session.
func (s *Session) Interrupt() error {
	return s.Close()
}

// Close implements transport.Session.
func (s *Session) Close() error {
	s.once.Do(func() { close(s.stop) })
	return nil
}
