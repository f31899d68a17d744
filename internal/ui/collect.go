package ui

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/event"
)

// Collector keeps the end of each host's output and its last exit status,
// for renderings made after the run (exec's folded output). It is an
// event.Sink. What it keeps per host is bounded (see hostTail): a farm
// printing without end does not fill the memory; --log-dir keeps it all.
type Collector struct {
	mu      sync.Mutex
	output  map[string]*hostTail
	exit    map[string]int
	skipped map[string][]string // host -> steps skipped by skip_if
}

var _ event.Sink = (*Collector)(nil)

// NewCollector returns an empty Collector.
func NewCollector() *Collector {
	return &Collector{output: map[string]*hostTail{}, exit: map[string]int{}, skipped: map[string][]string{}}
}

// Emit implements event.Sink.
func (c *Collector) Emit(e event.Event) error {
	if e.Undo {
		return nil // what a host answered is what its own steps printed
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e.Kind {
	case event.StepOutput:
		b := c.output[e.Host]
		if b == nil {
			b = &hostTail{}
			c.output[e.Host] = b
		}
		b.add(e.Line)
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
func (c *Collector) Output(host string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.output[host]; b != nil {
		return b.String()
	}
	return ""
}

// The end of a host's output that a collector keeps: at most tailLines
// lines and tailBytes bytes.
const (
	tailLines = 1000
	tailBytes = 1 << 20
)

// hostTail is the last lines of one host's output.
type hostTail struct {
	lines   []string
	bytes   int
	dropped int // earlier lines no longer kept
}

func (t *hostTail) add(line string) {
	t.lines = append(t.lines, line)
	t.bytes += len(line) + 1
	for len(t.lines) > 1 && (len(t.lines) > tailLines || t.bytes > tailBytes) {
		t.bytes -= len(t.lines[0]) + 1
		t.lines[0] = ""
		t.lines = t.lines[1:]
		t.dropped++
	}
}

// String is the kept output, one line each, after a line saying how many
// earlier lines were not kept.
func (t *hostTail) String() string {
	var b strings.Builder
	if t.dropped > 0 {
		fmt.Fprintf(&b, "… [%d earlier lines not kept; --log-dir keeps every line]\n", t.dropped)
	}
	for _, l := range t.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// Exit returns the host's last exit status and whether it has one.
func (c *Collector) Exit(host string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	code, ok := c.exit[host]
	return code, ok
}

// Skipped reports whether host skipped step (its skip_if held).
func (c *Collector) Skipped(host, step string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.skipped[host], step)
}
