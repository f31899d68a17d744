package engine

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/drover-sh/drover/internal/event"
)

// A panic in the engine or in what it calls (a sink, the gate, a local
// command runner, the release switcher) must not kill the process from a
// host's goroutine: the caller holds locks on the hosts that only it can
// release. So every goroutine of the engine that calls out recovers: the
// panic becomes a run-wide failure (the run is cancelled as for a sink
// error, the host that panicked is failed) and Run returns it.

// ErrPanic is wrapped by the error Run returns after a panic.
var ErrPanic = errors.New("internal error")

// PanicError is a recovered panic: what was thrown, and where.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("internal error: panic: %v", e.Value) }

// Is makes a PanicError match ErrPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// panicError turns a recovered value into an error with its stack, for
// the operator's report.
func panicError(v any) error {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// fail records a run-wide failure: the first one is kept and cancels the
// run; later ones are dropped.
func (em *emitter) fail(err error) {
	em.mu.Lock()
	defer em.mu.Unlock()
	if em.err == nil {
		em.err = err
		em.cancel(err)
	}
}

// recoverHost, deferred in a host's goroutine, turns a panic into that
// host's failure and a run-wide failure.
func (s *stageRun) recoverHost(host string) {
	v := recover()
	if v == nil {
		return
	}
	err := panicError(v)
	s.r.em.fail(err)
	note := s.r.em.clean("internal error: panic: " + fmt.Sprint(v))
	s.r.record(host, s.st.Name, event.Failed, note, 0)
	s.r.em.emit(event.Event{Kind: event.HostEnd, Stage: s.st.Name, Host: host, Result: event.Failed, Error: note})
}

// recoverRun, deferred in Run, turns a panic of the run's own goroutine
// into Run's error.
func recoverRun(err *error) {
	if v := recover(); v != nil {
		*err = panicError(v)
	}
}
