package expect

import "strings"

// maxCarry bounds the output kept from one match to the next.
const maxCarry = 8 << 10

// window is the output not yet consumed by a match that rules may still
// match together with the next chunk: the last two lines, at most maxCarry
// bytes. Keeping it bounded is what keeps matching linear.
type window struct {
	carry string
}

// text returns what the rules see next: the carry plus the new chunk.
func (w *window) text(chunk []byte) string { return w.carry + string(chunk) }

// keep remembers the tail of text that no rule matched.
func (w *window) keep(text string) { w.carry = tail(text) }

// tail returns the last two lines of s (the last one possibly partial), at
// most maxCarry bytes.
func tail(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i > 0 {
		if j := strings.LastIndexByte(s[:i], '\n'); j >= 0 {
			s = s[j+1:]
		}
	}
	if len(s) > maxCarry {
		s = s[len(s)-maxCarry:]
	}
	return s
}

// lineAround returns the line of text that holds the byte range loc, as
// far as it has arrived, without CR/LF.
func lineAround(text string, loc []int) string {
	start := strings.LastIndexByte(text[:loc[0]], '\n') + 1
	end := len(text)
	if i := strings.IndexByte(text[loc[1]:], '\n'); i >= 0 {
		end = loc[1] + i
	}
	if end < start {
		end = start
	}
	return trimCR(text[start:end])
}
