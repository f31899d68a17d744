package expect

import (
	"slices"
	"strings"
)

// maxLine is the longest line handed to Output in one piece; longer runs of
// output without a newline are handed over in parts of this size.
const maxLine = 64 << 10

// lineLog cuts output into lines for Options.Output and remembers the last
// line the host printed.
type lineLog struct {
	output func(string)
	// cut, when set, says where a line longer than maxLine may be cut
	// (a Redactor's SafeCut), so that no secret is split between two
	// lines; the rest starts the next line.
	cut      func(string) int
	partial  []byte
	lastFull string // last non-empty complete line
}

// write takes a chunk of output and hands over every line it completes.
func (l *lineLog) write(chunk []byte) {
	for len(chunk) > 0 {
		i := indexNewline(chunk)
		if i < 0 {
			l.partial = append(l.partial, chunk...)
			if len(l.partial) >= maxLine {
				l.cutLong()
			}
			return
		}
		l.partial = append(l.partial, chunk[:i]...)
		l.emit()
		chunk = chunk[i+1:]
	}
}

func indexNewline(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

// emit hands over the partial line as a line.
func (l *lineLog) emit() {
	line := trimCR(string(l.partial))
	l.partial = l.partial[:0]
	if line != "" {
		l.lastFull = line
	}
	if l.output != nil {
		l.output(line)
	}
}

// cutLong hands over a too-long partial line, up to where it may be cut.
func (l *lineLog) cutLong() {
	n := len(l.partial)
	if l.cut != nil {
		if c := l.cut(string(l.partial)); c > 0 {
			n = c
		}
	}
	rest := slices.Clone(l.partial[n:])
	l.partial = l.partial[:n]
	l.emit()
	l.partial = append(l.partial, rest...)
}

// flush hands over the last partial line, if any.
func (l *lineLog) flush() {
	if len(l.partial) > 0 {
		l.emit()
	}
}

// last returns the last non-empty line, complete or not: at a prompt, the
// prompt itself.
func (l *lineLog) last() string {
	if p := trimCR(string(l.partial)); p != "" {
		return p
	}
	return l.lastFull
}

// prompting reports whether the host shows an unfinished line: text after
// the last newline, as a prompt waiting for an answer has.
func (l *lineLog) prompting() bool {
	return strings.TrimSpace(string(l.partial)) != ""
}

func trimCR(s string) string { return strings.TrimRight(s, "\r") }
