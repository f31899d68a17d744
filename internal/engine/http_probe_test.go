package engine

import (
	"context"
	"testing"
)

// TestProbeKeepsLastAnswer: an attempt cut short by the step's deadline
// gets no answer; the failure still says what the server last answered.
func TestProbeKeepsLastAnswer(t *testing.T) {
	var last probe
	for _, p := range []probe{{err: context.DeadlineExceeded}, {status: 503, body: "down\n"}, {err: context.DeadlineExceeded}} {
		last = last.then(p)
	}
	if got, want := last.describe(), `last status 503, body "down" (then: context deadline exceeded)`; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
	if got, want := (probe{}).then(probe{status: 200, body: "ok"}).describe(), `last status 200, body "ok"`; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
	if got, want := (probe{}).then(probe{err: context.Canceled}).describe(), "last error: context canceled"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
}
