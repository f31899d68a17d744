// Package safetext makes text that came from a host safe to show on a
// terminal: every byte a terminal would act on (escape sequences, carriage
// returns, backspaces, bells, C1 controls, bidirectional overrides, invalid
// UTF-8) is shown as visible text such as \x1b or \u202e, so a host can
// neither write to the operator's clipboard (OSC 52) nor move the cursor to
// overwrite what drover printed.
//
// It does not strip or interpret anything, and it is not for transcripts:
// those keep the raw bytes. It has no dependencies, so every package that
// turns host bytes into text for people (ui, release) can use it.
package safetext

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Line returns s as one line safe to print: tabs are kept, every other
// control character (line feeds too) is escaped as \xNN, a C1 control or a
// bidirectional formatting character as \uNNNN, and each byte of invalid
// UTF-8 as \xNN. Printable text, backslashes included, is left as it is,
// so Line of its own result changes nothing.
func Line(s string) string { return clean(s, false) }

// Text is Line for text of several lines: line feeds are kept, and a
// carriage return right before a line feed (a CRLF line end) is dropped.
func Text(s string) string { return clean(s, true) }

// plain reports whether s is printable ASCII (and tabs, and line feeds
// when multiline): the common case, returned as it is.
func plain(s string, multiline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x7f || (c < ' ' && c != '\t' && !(multiline && c == '\n')) {
			return false
		}
	}
	return true
}

func clean(s string, multiline bool) string {
	if plain(s, multiline) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\t' || (c >= ' ' && c != 0x7f):
				b.WriteByte(c)
			case multiline && c == '\n':
				b.WriteByte(c)
			case multiline && c == '\r' && i+1 < len(s) && s[i+1] == '\n':
				// a CRLF line end: the line feed ends the line
			default:
				fmt.Fprintf(&b, `\x%02x`, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, c)
		case Unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Unsafe reports whether r is a rune beyond ASCII that a terminal acts on
// or that reorders what it shows: the C1 controls (U+0080-U+009F, which
// some terminals read as CSI, OSC and the like), the bidirectional
// embeddings, overrides, isolates and marks, and the Unicode line and
// paragraph separators.
func Unsafe(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// JSON makes encoded JSON safe to print on a terminal without changing
// what it decodes to. encoding/json already escapes the C0 controls and
// U+2028/U+2029 and replaces invalid UTF-8, but writes DEL, the C1
// controls and the bidirectional characters raw; JSON escapes those as
// \uNNNN (they can only occur inside strings, so the result is still valid
// JSON with the same values). Invalid UTF-8 becomes \ufffd.
func JSON(b []byte) []byte {
	if plain(string(b), true) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(out, `\u007f`...)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...)
		case Unsafe(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

// JSONWriter returns a writer that passes each write through JSON. Each
// write must hold whole runes, as a json.Encoder's writes (one value each)
// do.
func JSONWriter(w io.Writer) io.Writer { return jsonWriter{w} }

type jsonWriter struct{ w io.Writer }

func (j jsonWriter) Write(p []byte) (int, error) {
	if _, err := j.w.Write(JSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
