package event

import (
	"fmt"
	"sync"
)

// BestEffort is a sink for an output that must never stop a rollout or
// leave hosts half switched: transcripts, a terminal, JSON on stdout. Its
// first error, a panic of the output included, goes to Failed once, and
// from then on that output is dropped; the journal keeps the record.
type BestEffort struct {
	Sink   Sink
	Failed func(error)

	mu     sync.Mutex
	failed bool
}

// Emit implements Sink and never fails.
func (b *BestEffort) Emit(e Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed {
		return nil
	}
	if err := b.send(e); err != nil {
		b.failed = true
		b.Failed(err)
	}
	return nil
}

func (b *BestEffort) send(e Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("internal error: panic: %v", v)
		}
	}()
	return b.Sink.Emit(e)
}
