package engine

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// maxLine is the longest output line an event carries: a host that prints
// a gigabyte without a newline must not make drover hold it, nor put it in
// the journal.
const maxLine = 64 << 10

// cutMarker ends a line cut at maxLine. The rest of that line goes only to
// Options.Spill (the --log-dir transcript).
const cutMarker = " … [line cut at 64 KiB]"

// lineCutter cuts a host's output stream into lines for output: a line
// longer than maxLine is reported once, as its first maxLine bytes and
// cutMarker, and the rest of it is handed to spill in parts of at most
// maxLine bytes. It holds at most maxLine bytes plus one write. It is not
// safe for concurrent use.
type lineCutter struct {
	line  func(string) // a whole line, or the start of a cut one
	spill func(string) // the rest of a cut line, part by part
	// safe, when set, says where a string may be cut without splitting a
	// secret (Options.CutLine), so that each piece can be redacted alone.
	safe func(string) int
	buf  []byte
	cut  bool   // inside a line that was cut
	pend []byte // the rest of a cut line not yet spilled: a tail that may be the start of a secret
}

// Write implements io.Writer; it never fails.
func (c *lineCutter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.add(p, false)
			break
		}
		c.add(p[:i], true)
		p = p[i+1:]
	}
	return n, nil
}

// add takes seg, a piece of a line; end tells whether the line ends there.
func (c *lineCutter) add(seg []byte, end bool) {
	switch {
	case c.cut:
		c.spillOut(seg, end)
	case len(c.buf)+len(seg) > maxLine:
		k := maxLine - len(c.buf) // what of seg fits
		c.buf = append(c.buf, seg[:k]...)
		n := c.cutAt(c.buf)
		c.line(string(c.buf[:n]) + cutMarker)
		c.cut = true
		c.spillOut(append(c.buf[n:], seg[k:]...), end)
		c.buf = c.buf[:0]
	default:
		c.buf = append(c.buf, seg...)
		if end {
			c.line(strings.TrimRight(string(c.buf), "\r"))
			c.buf = c.buf[:0]
		}
	}
	if end {
		c.cut = false
	}
}

// cutAt returns where b may be cut: len(b), or earlier so that no secret
// is split (never 0, so that a cut always makes progress).
func (c *lineCutter) cutAt(b []byte) int {
	if c.safe == nil {
		return len(b)
	}
	if n := c.safe(string(b)); n > 0 {
		return n
	}
	return len(b)
}

// spillOut hands the rest of a cut line to spill in parts of at most
// maxLine bytes, each redacted alone, so each is cut where no secret is
// split: a tail that may be the start of a secret is held back until more
// of the line shows whether it is one (the host's writes split a line
// anywhere), and given out when the line ends.
func (c *lineCutter) spillOut(b []byte, end bool) {
	if c.spill == nil {
		return
	}
	c.pend = append(c.pend, b...)
	for len(c.pend) > 0 {
		n := min(len(c.pend), maxLine)
		if c.safe != nil && (n < len(c.pend) || !end) {
			if n = c.safe(string(c.pend[:n])); n == 0 {
				if len(c.pend) <= maxLine {
					return // all of it may be the start of a secret: wait
				}
				n = maxLine
			}
		}
		c.spill(string(c.pend[:n]))
		c.pend = c.pend[n:]
	}
	c.pend = c.pend[:0]
}

// flush reports a last line without a newline, or the held-back end of a
// cut one.
func (c *lineCutter) flush() {
	if len(c.buf) > 0 && !c.cut {
		c.line(strings.TrimRight(string(c.buf), "\r"))
	}
	if c.cut {
		c.spillOut(nil, true)
	}
	c.buf, c.cut, c.pend = c.buf[:0], false, c.pend[:0]
}

// lockedWriter makes w safe for concurrent use (a local command's stdout
// and stderr share it).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// cutter returns a lineCutter for the output of step: its lines are the
// step's output, the rest of cut lines go to Options.Spill.
func (hr *hostRun) cutter(o commandOpts) *lineCutter {
	return &lineCutter{line: func(l string) { hr.output(o, l) }, spill: func(s string) { hr.spill(o, s) },
		safe: hr.s.r.opts.CutLine}
}

// spill hands the rest of a cut line to Options.Spill, redacted.
func (hr *hostRun) spill(o commandOpts, s string) {
	if fn := hr.s.r.opts.Spill; fn != nil && o.step != "" {
		fn(hr.h.name, o.step, hr.s.r.em.clean(s))
	}
}
