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

	mu   sync.Mutex
	err  error // the first run-wide failure
	down bool  // the sink failed: nothing more is sent
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
// the same order. After a sink error nothing more is sent; after another
// run-wide failure (a panic elsewhere) events still go out, so the journal
// records how every host ended.
func (em *emitter) emit(e event.Event) {
	e.Time = em.now()
	e.RunID = em.runID
	e.Line = em.clean(e.Line)
	e.Error = em.clean(e.Error)
	e.Text = em.clean(e.Text)
	em.mu.Lock()
	defer em.mu.Unlock()
	if em.down {
		return
	}
	if err := em.send(e); err != nil {
		em.down = true
		if em.err == nil {
			em.err = fmt.Errorf("emit %s event: %w", e.Kind, err)
			em.cancel(em.err)
		}
	}
}

// send hands e to the sink; a panic of the sink is its error.
func (em *emitter) send(e event.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
		}
	}()
	return em.sink.Emit(e)
}

// failure returns the sink error that stopped the run, if any.
func (em *emitter) failure() error {
	em.mu.Lock()
	defer em.mu.Unlock()
	return em.err
}

// clean redacts s for use outside events (questions, notes). A redactor
// that panics fails the run and gives "[redacted]": nothing unredacted
// leaves the engine.
func (em *emitter) clean(s string) (out string) {
	defer func() {
		if v := recover(); v != nil {
			em.fail(panicError(v))
			out = "[redacted]"
		}
	}()
	return em.redact(s)
}
