package ui

import (
	"encoding/json"
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
