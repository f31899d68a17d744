package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

// emitter stamps, redacts and serialises events. The first Sink error is
// kept and cancels the run: it is run-wide.
type emitter struct {
	sink   event.Sink
	runID  string
	redact func(string) string
	now    func() time.Time
	cancel context.CancelCauseFunc

	mu  sync.Mutex
	err error
}

func newEmitter(sink event.Sink, runID string, redact func(string) string, now func() time.Time, cancel context.CancelCauseFunc) *emitter {
	if sink == nil {
		sink = event.Discard
	}
	if redact == nil {
		redact = func(s string) string { return s }
	}
	return &emitter{sink: sink, runID: runID, redact: redact, now: now, cancel: cancel}
}

// emit sends e. Events go to the sink one at a time, so every sink sees
// the same order. After a sink error nothing more is sent.
func (em *emitter) emit(e event.Event) {
	e.Time = em.now()
	e.RunID = em.runID
	e.Line = em.redact(e.Line)
	e.Error = em.redact(e.Error)
	e.Text = em.redact(e.Text)
	em.mu.Lock()
	defer em.mu.Unlock()
	if em.err != nil {
		return
	}
	if err := em.sink.Emit(e); err != nil {
		em.err = fmt.Errorf("emit %s event: %w", e.Kind, err)
		em.cancel(em.err)
	}
}

// failure returns the sink error that stopped the run, if any.
func (em *emitter) failure() error {
	em.mu.Lock()
	defer em.mu.Unlock()
	return em.err
}

// clean redacts s for use outside events (questions, notes).
func (em *emitter) clean(s string) string { return em.redact(s) }
