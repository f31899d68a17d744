package engine

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"sync"
)

// mark is a marker line the host shell printed on stdout: the end of step
// n, with its exit status. kill marks the end of a step the shell killed
// (see shellScript).
type mark struct {
	n    int
	kill bool
	rc   int
}

// frameReader splits the host shell's stdout, where the steps write both
// their output streams, into the output of the step running and the
// markers that end each step. A marker counts only as a whole line equal
// to the shell's random prefix, the step's number and its exit status:
// output that merely contains a marker-like string stays output. The
// newline the shell prints before each marker (so that a last line without
// one still ends) is taken out again. A plain frameReader (the shell's own
// stderr) has no markers: all it reads is the running step's output.
type frameReader struct {
	prefix string // the shell's marker prefix, "drover-<hex>-"
	plain  bool
	marks  chan<- mark
	done   <-chan struct{} // closed when the shell is closed

	mu   sync.Mutex
	n    int         // the step running: only its markers end it
	cut  *lineCutter // the running step's output; nil drops output
	held bool        // an empty line not yet written: it may be the marker's newline
}

var newline = []byte{'\n'}

// setSink directs the output that follows to c (nil drops it), as the
// output of step n.
func (f *frameReader) setSink(n int, c *lineCutter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n, f.cut = n, c
}

// run reads r until it ends, then reports the end by returning.
func (f *frameReader) run(r io.Reader) {
	br := bufio.NewReaderSize(r, 16<<10)
	atStart := true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			atStart = f.take(chunk, atStart)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			f.flush()
			return
		}
	}
}

// take handles one chunk, a whole line or a part of a long one, and
// reports whether the next chunk starts a line.
func (f *frameReader) take(chunk []byte, atStart bool) bool {
	whole := chunk[len(chunk)-1] == '\n'
	if atStart && whole && !f.plain {
		if m, ok := f.parse(chunk[:len(chunk)-1]); ok {
			f.deliver(m)
			return true
		}
		if len(chunk) == 1 {
			f.mu.Lock()
			if f.held {
				f.write(newline)
			}
			f.held = true
			f.mu.Unlock()
			return true
		}
	}
	f.mu.Lock()
	if f.held {
		f.write(newline)
		f.held = false
	}
	f.write(chunk)
	f.mu.Unlock()
	return whole
}

// write hands b to the step's output; f.mu is held.
func (f *frameReader) write(b []byte) {
	if f.cut != nil {
		f.cut.Write(b)
	}
}

// parse reads a marker line of the running step: prefix, step number,
// "k" for a killed step, a space and the exit status.
func (f *frameReader) parse(line []byte) (mark, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(f.prefix))
	if !ok {
		return mark{}, false
	}
	var m mark
	num, status, hasStatus := bytes.Cut(rest, []byte{' '})
	if !hasStatus {
		return mark{}, false
	}
	if k, ok := bytes.CutSuffix(num, []byte{'k'}); ok {
		m.kill, num = true, k
	}
	var err error
	if m.n, err = digits(num); err != nil || m.n != f.step() {
		return mark{}, false
	}
	if m.rc, err = digits(status); err != nil {
		return mark{}, false
	}
	return m, true
}

func (f *frameReader) step() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

// digits parses a decimal number made of ASCII digits only.
func digits(b []byte) (int, error) {
	if len(b) == 0 || len(b) > 9 || bytes.IndexFunc(b, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(string(b))
}

// deliver ends the step's output (its held newline was the marker's) and
// reports the marker.
func (f *frameReader) deliver(m mark) {
	f.mu.Lock()
	f.held = false
	if f.cut != nil {
		f.cut.flush()
	}
	f.mu.Unlock()
	select {
	case f.marks <- m:
	case <-f.done:
	}
}

// flush reports what is left when the stream ends.
func (f *frameReader) flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cut != nil {
		f.cut.flush()
	}
}
