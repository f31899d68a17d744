package journal

import (
	"bufio"
	"errors"
	"io"
)

// maxLine is the longest journal line read back. The journal writes no
// longer line (see encode); a longer one, from an older drover or a damaged
// file, is skipped with a note, so that it never makes a run unreadable and
// reading never holds more than this much of one line.
const maxLine = 16 << 20

// lineReader reads a journal line by line. Unlike bufio.Scanner it has no
// "token too long" failure: a line over maxLine is consumed and reported by
// its length, its bytes dropped.
type lineReader struct {
	r    *bufio.Reader
	buf  []byte
	line int // number of the line last returned, from 1
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64*1024)}
}

// next returns the next line without its newline and the line's full length
// in bytes. When size > maxLine the line is returned empty. At the end of
// the input it returns io.EOF.
func (lr *lineReader) next() (line []byte, size int64, err error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		size += int64(len(chunk))
		if size <= maxLine+1 {
			lr.buf = append(lr.buf, chunk...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && size == 0:
			return nil, 0, io.EOF
		case err != nil && !errors.Is(err, io.EOF):
			return nil, 0, err
		}
		break
	}
	lr.line++
	if n := len(lr.buf); n > 0 && lr.buf[n-1] == '\n' {
		lr.buf = lr.buf[:n-1]
		size--
	}
	if size > maxLine {
		return nil, size, nil
	}
	return lr.buf, size, nil
}
