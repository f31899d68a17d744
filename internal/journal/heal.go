package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/drover-sh/drover/internal/event"
)

// heal makes the journal f end with a whole line before a resumed run
// appends to it. A last line cut short by a crash is removed; a last line
// that is a whole event and only lost its newline gets the newline back.
// Either way the next event starts a line of its own and every line before
// it still decodes.
func heal(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	start, err := lastLineStart(f, size)
	if err != nil || start == size {
		return err
	}
	if size-start <= maxLine {
		tail := make([]byte, size-start)
		if _, err := f.ReadAt(tail, start); err != nil {
			return err
		}
		var e event.Event
		if json.Unmarshal(tail, &e) == nil {
			_, err := f.Write([]byte{'\n'}) // f is opened to append
			return err
		}
	}
	if err := f.Truncate(start); err != nil {
		return fmt.Errorf("cut the damaged last line: %w", err)
	}
	return f.Sync()
}

// lastLineStart returns the offset just after the last newline of the first
// size bytes of f, or 0 when there is none. It reads backwards in blocks, so
// a huge last line costs no memory.
func lastLineStart(f io.ReaderAt, size int64) (int64, error) {
	const block = 64 * 1024
	buf := make([]byte, block)
	for end := size; end > 0; {
		n := min(int64(block), end)
		b := buf[:n]
		if _, err := f.ReadAt(b, end-n); err != nil && err != io.EOF {
			return 0, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return end - n + int64(i) + 1, nil
		}
		end -= n
	}
	return 0, nil
}
