package event_test

import (
	"errors"
	"io"
	"testing"

	"github.com/drover-sh/drover/internal/event"
)

type failingSink struct{}

func (failingSink) Emit(event.Event) error { return io.ErrClosedPipe }

type panickingSink struct{}

func (panickingSink) Emit(event.Event) error { panic("boom") }

// TestBestEffortNeverFailsTheRun: a reader of stdout that goes away loses
// the view, not the rollout; the failure, a panic included, is reported
// once.
func TestBestEffortNeverFailsTheRun(t *testing.T) {
	for _, sink := range []event.Sink{failingSink{}, panickingSink{}} {
		var failures []error
		b := &event.BestEffort{Sink: sink, Failed: func(err error) { failures = append(failures, err) }}
		for range 3 {
			if err := b.Emit(event.Event{Kind: event.StepOutput}); err != nil {
				t.Errorf("Emit = %v, want nil", err)
			}
		}
		if len(failures) != 1 {
			t.Errorf("%T: failures %v, want one", sink, failures)
		}
	}
	var failed error
	b := &event.BestEffort{Sink: failingSink{}, Failed: func(err error) { failed = err }}
	b.Emit(event.Event{})
	if !errors.Is(failed, io.ErrClosedPipe) {
		t.Errorf("failure %v, want the sink's error", failed)
	}
}
