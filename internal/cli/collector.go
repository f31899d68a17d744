package cli

import (
	"slices"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/event"
)

// collector keeps each host's output and last exit status, for renderings
// made after the run (exec's folded output). It is an event.Sink.
type collector struct {
	mu      sync.Mutex
	output  map[string]*strings.Builder
	exit    map[string]int
	skipped map[string][]string // host -> steps skipped by skip_if
}

var _ event.Sink = (*collector)(nil)

func newCollector() *collector {
	return &collector{output: map[string]*strings.Builder{}, exit: map[string]int{}, skipped: map[string][]string{}}
}

// Emit implements event.Sink.
func (c *collector) Emit(e event.Event) error {
	if e.Undo {
		return nil // what a host answered is what its own steps printed
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e.Kind {
	case event.StepOutput:
		b := c.output[e.Host]
		if b == nil {
			b = &strings.Builder{}
			c.output[e.Host] = b
		}
		b.WriteString(e.Line)
		b.WriteByte('\n')
	case event.StepEnd:
		if e.Exit != nil {
			c.exit[e.Host] = *e.Exit
		}
		if e.Result == event.Skipped {
			c.skipped[e.Host] = append(c.skipped[e.Host], e.Step)
		}
	}
	return nil
}

// Output returns what host printed.
func (c *collector) Output(host string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.output[host]; b != nil {
		return b.String()
	}
	return ""
}

// Exit returns the host's last exit status and whether it has one.
func (c *collector) Exit(host string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	code, ok := c.exit[host]
	return code, ok
}

// Skipped reports whether host skipped step (its skip_if held).
func (c *collector) Skipped(host, step string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.skipped[host], step)
}
