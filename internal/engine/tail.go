package engine

import "sync"

// tailLines is how many output lines a confirm or retry question shows.
const tailLines = 10

// tail keeps the last lines a host printed. It is safe for concurrent use
// (stdout and stderr are read at the same time).
type tail struct {
	mu    sync.Mutex
	max   int
	buf   []string
	added int // lines added so far, kept or not
}

func newTail(n int) *tail { return &tail{max: n} }

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.added++
	t.buf = append(t.buf, line)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
}

// mark is how many lines have been added so far, for dropSince.
func (t *tail) mark() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.added
}

// dropSince forgets the lines added after mark m: those of a failed
// attempt about to be retried, so a later question shows what the retry
// printed and not the failure it replaced.
func (t *tail) dropSince(m int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := min(t.added-m, len(t.buf))
	t.buf = t.buf[:len(t.buf)-n]
	t.added = m
}

// lines returns a copy of the kept lines, oldest first.
func (t *tail) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.buf...)
}
