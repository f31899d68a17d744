package transporttest

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// output collects what a reader produces, so a test can wait for a text to
// appear (a prompt has no newline, so line reading would not do).
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
	done    chan struct{} // closed at EOF
}

// collect reads r until EOF in a goroutine that ends with r.
func collect(r io.Reader) *output {
	o := &output{changed: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(o.done)
		b := make([]byte, 4096)
		for {
			n, err := r.Read(b)
			o.write(b[:n])
			if err != nil {
				return
			}
		}
	}()
	return o
}

func (o *output) write(p []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until the output contains s.
func (o *output) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		text, changed := o.buf.String(), o.changed
		o.mu.Unlock()
		if strings.Contains(text, s) {
			return
		}
		select {
		case <-changed:
		case <-o.done:
			if !strings.Contains(o.String(), s) {
				t.Fatalf("output ended without %q; got %q", s, o.String())
			}
			return
		case <-deadline.C:
			t.Fatalf("timed out waiting for %q; got %q", s, o.String())
		}
	}
}

// all waits for EOF and returns everything read.
func (o *output) all(t *testing.T) string {
	t.Helper()
	select {
	case <-o.done:
	case <-time.After(Timeout):
		t.Fatalf("timed out waiting for the output to end; got %q", o.String())
	}
	return o.String()
}
