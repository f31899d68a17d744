package sshx

import (
	"io"

	"github.com/drover-sh/drover/internal/transport"
)

// A read of a session channel returns only when the host sends data, EOF or
// the channel's close, or when the connection goes. OpenSSH does not close
// the channel of a command without a PTY while the command runs: one that
// ignores signals (and a root login refuses the signal request anyway)
// keeps every read of its output blocked for as long as it runs, and a
// frozen host keeps them blocked until keepalives give up. So the caller's
// ends of the pipes are io.Pipes moved by pump goroutines, and Close ends
// them at once. A pump ends with the channel, at the latest when the
// connection is closed.

// pumpOut returns the caller's end of the channel's output stream r.
func (s *session) pumpOut(r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	s.pipeMu.Lock()
	s.outs = append(s.outs, pw)
	if s.isClosed() {
		pw.CloseWithError(io.EOF)
	}
	s.pipeMu.Unlock()
	go func() {
		_, err := transport.Copy(pw, r)
		pw.CloseWithError(err) // nil: EOF
	}()
	return pr
}

// pumpIn moves what the caller writes to the channel's stdin w, and sends
// EOF when the caller closes its end. A write the channel refuses (the
// command ended, the session closed) fails the caller's writes.
func pumpIn(w io.WriteCloser, pr *io.PipeReader) {
	_, err := transport.Copy(w, pr)
	if err != nil {
		pr.CloseWithError(err)
		return
	}
	if err := w.Close(); err != nil {
		pr.CloseWithError(err)
	}
}

// endPipes, at Close, ends the caller's pipes. Output the host already sent
// in full (the command ended and the channel closed) is still read to its
// end; otherwise the reads end now, with EOF.
func (s *session) endPipes() {
	s.pipeMu.Lock()
	defer s.pipeMu.Unlock()
	if s.in != nil {
		s.in.CloseWithError(errClosed)
	}
	select {
	case <-s.exited:
		return
	default:
	}
	for _, pw := range s.outs {
		pw.CloseWithError(io.EOF)
	}
}
