package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// hostRun is one host running one stage's pipeline.
type hostRun struct {
	s    *stageRun
	h    *hostState
	tail *tail // last output lines, for confirm and retry questions
	undo bool  // running undo steps
	idx  int   // 1-based index of the step running

	counted bool // the host's failure was counted against max_fail

	watchFrom map[int]logSize // step index -> offset a watch step starts at

	sh *hostShell // the stage's shell for plain commands, once opened
}

// startHost reports that host starts the stage (admit marked it started).
// The window calls it before it starts the host's goroutine, so host.start
// events come in plan order.
func (s *stageRun) startHost(host string) time.Time {
	s.r.em.emit(event.Event{Kind: event.HostStart, Stage: s.st.Name, Host: host})
	return s.r.now()
}

// runHost runs host's pipeline of the stage, with the plan's tunnels open,
// and records how it ended.
func (s *stageRun) runHost(ctx context.Context, host string, start time.Time) {
	hr := &hostRun{s: s, h: s.r.state(host), tail: newTail(tailLines)}
	res, note := hr.withTunnels(ctx, hr.pipeline)
	note = s.r.em.clean(note)
	dur := s.r.now().Sub(start)
	if res == event.Failed && !hr.counted {
		s.fail()
	}
	s.r.record(host, s.st.Name, res, note, dur)
	s.r.em.emit(event.Event{Kind: event.HostEnd, Stage: s.st.Name, Host: host, Result: res, Error: note, Duration: dur})
}

// pipeline runs the host's steps in order until one does not succeed.
func (hr *hostRun) pipeline(ctx context.Context) (event.Result, string) {
	defer hr.closeShell()
	steps := hr.s.st.StepsFor(hr.h.name)
	if hr.undo {
		steps = hr.s.st.UndoFor(hr.h.name)
	}
	for i, st := range steps {
		if ctx.Err() != nil {
			return event.Interrupted, "interrupted"
		}
		hr.markWatch(ctx, steps, i)
		o := hr.step(ctx, i+1, st)
		switch o.result {
		case event.OK, event.Skipped:
			if o.skipHost {
				return event.Skipped, fmt.Sprintf("skipped at %q", st.Name)
			}
		case event.Failed:
			return event.Failed, failNote(o, st)
		default:
			return o.result, o.note(st)
		}
	}
	return event.OK, ""
}

// step runs one step with its retries; after the last failed attempt a
// watching operator may ask to retry it.
func (hr *hostRun) step(ctx context.Context, idx int, st plan.Step) outcome {
	for attempt := 0; ; attempt++ {
		mark := hr.tail.mark()
		o := hr.attempt(ctx, idx, st)
		if o.result != event.Failed || ctx.Err() != nil || hr.s.r.hasQuit() {
			return o
		}
		if attempt < st.Retries {
			if !wait(ctx, st.RetryDelay) {
				return outcome{result: event.Interrupted, err: context.Cause(ctx)}
			}
			hr.tail.dropSince(mark)
			continue
		}
		if !hr.settle(ctx, st, o) {
			return o
		}
		hr.tail.dropSince(mark)
		attempt = -1
	}
}

// settle decides what becomes of a step that failed with its retries used
// up: a watching operator may ask to retry it (true); otherwise the failure
// is final and counted against max_fail before the step returns.
func (hr *hostRun) settle(ctx context.Context, st plan.Step, o outcome) bool {
	if hr.undo {
		return false
	}
	if !hr.s.r.opts.OfferRetry {
		hr.s.fail()
		hr.counted = true
		return false
	}
	settle := hr.s.decide()
	a := hr.s.ask(ctx, Question{Kind: AskRetry, Stage: hr.s.st.Name, Host: hr.h.name,
		Text: fmt.Sprintf("%q failed on %s", st.Name, hr.h.name), Tail: hr.tail.lines(), Err: failNote(o, st)})
	retry := a == Retry && ctx.Err() == nil
	settle(!retry)
	hr.counted = !retry
	return retry
}

// attempt runs a step once, between its step.start and step.end events.
func (hr *hostRun) attempt(ctx context.Context, idx int, st plan.Step) outcome {
	base := event.Event{Stage: hr.s.st.Name, Host: hr.h.name, Step: st.Name, StepIndex: idx, Undo: hr.undo}
	start := base
	start.Kind = event.StepStart
	hr.s.r.em.emit(start)
	hr.idx = idx
	began := hr.s.r.now()
	o := hr.exec(ctx, st)
	hr.s.r.lbMarks.stepDone(hr.h.name, st, o.result)
	if o.result == event.Failed && needsConn(st.Kind) {
		// Whatever broke first (a session request, a read), a lost
		// connection is what the operator needs to hear.
		if err := hr.connErr(); err != nil {
			o = failed(err)
		}
	}
	if ctx.Err() != nil && o.result == event.Failed {
		o = outcome{result: event.Interrupted, exit: o.exit, err: context.Cause(ctx)}
	}
	end := base
	end.Kind, end.Result, end.Exit = event.StepEnd, o.result, o.exit
	end.Duration = hr.s.r.now().Sub(began)
	if o.err != nil {
		end.Error = o.err.Error()
	}
	hr.s.r.em.emit(end)
	return o
}

// exec checks the connection and skip_if, then runs the step's kind.
func (hr *hostRun) exec(ctx context.Context, st plan.Step) outcome {
	if o, done := hr.precheck(ctx, st); done {
		return o
	}
	switch st.Kind {
	case plan.KindRun:
		return hr.run(ctx, st)
	case plan.KindUpload:
		return hr.upload(ctx, st)
	case plan.KindLocal:
		return hr.local(ctx, st)
	case plan.KindConfirm:
		return hr.confirm(ctx, st)
	case plan.KindPause:
		return hr.pause(ctx, st)
	case plan.KindSwitchrel:
		return hr.switchrel(ctx, st)
	case plan.KindWatch:
		return hr.watch(ctx, st)
	case plan.KindHTTP:
		return hr.httpProbe(ctx, st)
	case plan.KindHAProxy:
		return hr.haproxy(ctx, st)
	case plan.KindFetch:
		return hr.fetch(ctx, st)
	}
	return failed(fmt.Errorf("step kind %q: not supported yet", st.Kind))
}

// precheck fails a step whose host is not connected or lost, and skips a
// step whose skip_if command exits 0.
func (hr *hostRun) precheck(ctx context.Context, st plan.Step) (outcome, bool) {
	if needsConn(st.Kind) || st.SkipIf != "" {
		if err := hr.connErr(); err != nil {
			return failed(err), true
		}
	}
	if st.SkipIf == "" {
		return outcome{}, false
	}
	err := hr.plain(ctx, st.SkipIf, commandOpts{timeout: st.Timeout})
	if err == nil {
		return outcome{result: event.Skipped}, true
	}
	if transport.ExitCode(err) < 0 {
		return failed(fmt.Errorf("skip_if: %w", err)), true
	}
	return outcome{}, false
}

func needsConn(k plan.Kind) bool {
	return k != plan.KindLocal && k != plan.KindConfirm && k != plan.KindPause
}
