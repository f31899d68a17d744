package ui

import (
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/event"
)

// TestCollectorKeepsATail: a host printing without end leaves the collector
// with its last lines only, and a note of how many came before.
func TestCollectorKeepsATail(t *testing.T) {
	c := NewCollector()
	line := strings.Repeat("x", 60<<10)
	for range 100 { // 6 MB
		c.Emit(event.Event{Kind: event.StepOutput, Host: "h1", Line: line})
	}
	c.Emit(event.Event{Kind: event.StepOutput, Host: "h1", Line: "last"})
	out := c.Output("h1")
	if len(out) > tailBytes+1024 {
		t.Errorf("collector keeps %d bytes of h1's output, want at most about %d", len(out), tailBytes)
	}
	if !strings.HasPrefix(out, "… [") || !strings.HasSuffix(out, "last\n") {
		t.Errorf("output = %.40q … %q, want a note of the lines not kept, then the last lines", out, out[len(out)-10:])
	}
	for range 2 * tailLines {
		c.Emit(event.Event{Kind: event.StepOutput, Host: "h2", Line: "y"})
	}
	if n := strings.Count(c.Output("h2"), "\n"); n != tailLines+1 {
		t.Errorf("h2: %d lines kept, want %d and the note", n, tailLines)
	}
}
