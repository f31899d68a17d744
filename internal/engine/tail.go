package engine

import "sync"

// tailLines is how many output lines a confirm or retry question shows.
const tailLines = 10

// tail keeps the last lines a host printed. It is safe for concurrent use
// (stdout and stderr are read at the same time).
type tail struct {
	mu  sync.Mutex
	max int
	buf []string
}

func newTail(n int) *tail { return &tail{max: n} }

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, line)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
}

// lines returns a copy of the kept lines, oldest first.
func (t *tail) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.buf...)
}
