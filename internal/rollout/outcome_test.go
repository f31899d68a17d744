package rollout

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
)

// TestOutcome: how a finished run ended, as its Kind and as the result
// the journal records; the operator's quit wins over failed hosts, an
// interrupt over both.
func TestOutcome(t *testing.T) {
	failedHost := []engine.HostResult{{Host: "web01", Result: event.Failed}}
	tests := []struct {
		name   string
		sum    engine.Summary
		kind   Kind
		result event.Result
	}{
		{"every host ok", engine.Summary{Hosts: []engine.HostResult{{Host: "web01", Result: event.OK}}}, OK, event.OK},
		{"a host failed", engine.Summary{Hosts: failedHost}, Failed, event.Failed},
		{"max_fail exceeded", engine.Summary{Aborted: true}, Failed, event.Aborted},
		{"quit at a gate", engine.Summary{Hosts: failedHost, Aborted: true, Quit: true}, Quit, event.Aborted},
		{"interrupted", engine.Summary{Hosts: failedHost, Quit: true, Interrupted: true}, Interrupted, event.Interrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outcome(&tt.sum); got != tt.kind {
				t.Errorf("outcome = %v, want %v", got, tt.kind)
			}
			if got := resultOf(&tt.sum); got != tt.result {
				t.Errorf("resultOf = %v, want %v", got, tt.result)
			}
			res := &Result{Outcome: tt.kind}
			var re *Error
			if (res.Err() == nil) != (tt.kind == OK) || (res.Err() != nil && (!errors.As(res.Err(), &re) || re.Kind != tt.kind)) {
				t.Errorf("Err() = %v for %v", res.Err(), tt.kind)
			}
		})
	}
}

// TestIsInterrupt: the journal records a run that ended before its first
// step as interrupted when its outermost Kind says so, or, with no Kind,
// when a cancelled context ended it.
func TestIsInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"interrupted", interrupted(ctx), true},
		{"wrapped", fmt.Errorf("precheck: %w", interrupted(ctx)), true},
		{"bare cancel", fmt.Errorf("read: %w", context.Canceled), true},
		{"failed, cancel inside", failed(fmt.Errorf("take the farm lock: %w", context.Canceled)), false},
		{"locked", locked(errors.New("held")), false},
		{"plain", errors.New("create journal"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isInterrupt(tt.err); got != tt.want {
				t.Errorf("isInterrupt(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
