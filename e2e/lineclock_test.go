//go:build e2e

package e2e

import (
	"bytes"
	"strings"
	"sync"
	"time"
)

// lineClock is an io.Writer that keeps everything written and notes when
// each distinct line first arrived, to tell whether output streamed.
type lineClock struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	first   map[string]time.Time
}

func newLineClock() *lineClock {
	return &lineClock{first: map[string]time.Time{}}
}

func (c *lineClock) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	c.all.Write(p)
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimSpace(string(c.partial[:i]))
		if _, seen := c.first[line]; !seen {
			c.first[line] = now
		}
		c.partial = c.partial[i+1:]
	}
}

// String is everything written so far.
func (c *lineClock) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.all.String()
}

// Arrived says when line (trimmed) first arrived.
func (c *lineClock) Arrived(line string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.first[line]
	return at, ok
}
