package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/drover-sh/drover/internal/event"
)

// JSON writes every event as one JSON object per line: machine output only.
// It is an event.Sink, safe for concurrent use.
type JSON struct {
	mu  sync.Mutex
	enc *json.Encoder
}

var _ event.Sink = (*JSON)(nil)

// NewJSON returns a JSON-lines sink writing to w.
// JSON escaping keeps C0 controls off the terminal; SafeJSON adds DEL, C1
// controls and bidirectional characters, so the values stay exact.
func NewJSON(w io.Writer) *JSON { return &JSON{enc: json.NewEncoder(SafeJSON(w))} }

// Emit implements event.Sink.
func (j *JSON) Emit(e event.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.enc.Encode(e)
}

// hostJSON is exec's --json output: one object per host.
type hostJSON struct {
	Host   string `json:"host"`
	Exit   *int   `json:"exit,omitempty"`
	Output string `json:"output"`
	Error  string `json:"error,omitempty"`
}

// HostJSON writes exec's answers as one JSON object per host.
func HostJSON(w io.Writer, results []HostOutput) error {
	enc := json.NewEncoder(SafeJSON(w))
	for _, r := range results {
		h := hostJSON{Host: r.Host, Output: r.Output, Error: r.Err}
		if r.Err == "" {
			h.Exit = &r.Exit
		}
		if err := enc.Encode(h); err != nil {
			return fmt.Errorf("write the result of %s: %w", r.Host, err)
		}
	}
	return nil
}
