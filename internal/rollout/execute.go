package rollout

import (
	"context"
	"fmt"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/journal"
)

// execute starts the output, runs the engine and records how the run
// ended in the journal.
func (r *run) execute(ctx context.Context) (*Result, error) {
	sinks, closeOut, spill, err := r.outputs()
	if err != nil {
		return nil, err
	}
	defer closeOut()
	// The journal has the start already (startJournal).
	if err := sinks.Emit(r.startEvent()); err != nil {
		return nil, err
	}
	sinks = append(event.Multi{r.journal}, sinks...)
	for _, pr := range r.farm.Problems {
		sinks.Emit(event.Event{Time: time.Now(), Kind: event.HostConnect, RunID: r.runID, Host: pr.Host,
			Result: event.Unreachable, Error: r.redactor.String(pr.Err.Error())})
	}
	sum, err := engine.Run(ctx, r.plan, r.farm.Conns, r.engineOptions(sinks, spill))
	if err != nil {
		// Hosts may have been changed: this is a failed run, not refused.
		// The journal says so, as far as it can still be written.
		stopped := failed(fmt.Errorf("the run stopped: %w", err))
		sinks.Emit(event.Event{Time: time.Now(), Kind: event.RunEnd, RunID: r.runID, Result: event.Failed,
			Code: r.opts.ExitCode(stopped), Error: r.redactor.String(err.Error())})
		return nil, stopped
	}
	r.markUnreachable(sum)
	for _, h := range sum.Hosts {
		r.journal.Emit(event.Event{Time: time.Now(), Kind: event.HostSummary, RunID: r.runID, Host: h.Host,
			Stage: h.Stage, Result: h.Result, Duration: h.Duration, Text: r.redactor.String(h.Note)})
	}
	res := r.result(sum, outcome(sum))
	end := event.Event{Time: time.Now(), Kind: event.RunEnd, RunID: r.runID, Result: resultOf(sum), Code: r.opts.ExitCode(res.Err())}
	if err := sinks.Emit(end); err != nil {
		return nil, failed(fmt.Errorf("the run ended but its journal could not be written: %w", err))
	}
	return res, nil
}

func (r *run) engineOptions(sinks event.Sink, spill func(host, step, part string)) engine.Options {
	g := r.opts.Gate
	return engine.Options{
		Sink: sinks, Gate: g, Secrets: r.secrets, RunID: r.runID, Done: r.done,
		OfferRetry: g != nil && g != engine.AlwaysYes, Redact: r.redactor.String, CutLine: r.redactor.SafeCut,
		Releases: r.releases(), Spill: spill,
	}
}

// outputs are the --log-dir transcripts and the caller's Output; the
// returned func flushes them, spill takes the rest of over-long lines.
func (r *run) outputs() (event.Multi, func(), func(host, step, part string), error) {
	var sinks event.Multi
	var closers []func()
	var spill func(host, step, part string)
	stop := func() {
		for _, c := range closers {
			c()
		}
	}
	if dir := r.opts.LogDir; dir != "" {
		tr, err := journal.NewTranscripts(dir)
		if err != nil {
			return nil, nil, nil, err
		}
		sinks = append(sinks, &event.BestEffort{Sink: tr, Failed: r.stopped("the --log-dir transcripts")})
		closers, spill = append(closers, func() { tr.Close() }), tr.Spill
	}
	if r.opts.Output != nil {
		out := r.opts.Output(View{Hosts: namesOf(r.hosts), Runbook: r.plan.Name})
		sinks = append(sinks, out.Sink)
		closers = append([]func(){out.Close}, closers...)
		r.secrets.Hold = out.Hold
	}
	return sinks, stop, spill, nil
}

// stopped is what a best-effort output does with its error: warn, once.
func (r *run) stopped(what string) func(error) {
	return func(err error) { r.warn(fmt.Errorf("%s stopped, the run goes on without them: %w", what, err)) }
}

// markUnreachable gives hosts that pre-flight could not reach their reason.
func (r *run) markUnreachable(sum *engine.Summary) {
	why := map[string]string{}
	for _, pr := range r.farm.Problems {
		why[pr.Host] = r.redactor.String(pr.Err.Error())
	}
	for i, h := range sum.Hosts {
		if reason, ok := why[h.Host]; ok {
			sum.Hosts[i].Result, sum.Hosts[i].Note = event.Unreachable, reason
		}
	}
}

func (r *run) result(sum *engine.Summary, k Kind) *Result {
	return &Result{Plan: r.plan, Summary: sum, Problems: r.farm.Problems, RunID: r.runID,
		Hosts: len(r.hosts), Connected: len(r.farm.Conns), Outcome: k}
}

// outcome is how a finished run ended.
func outcome(sum *engine.Summary) Kind {
	switch {
	case sum.Interrupted:
		return Interrupted
	case sum.Quit:
		return Quit
	case sum.Aborted || sum.Failed():
		return Failed
	}
	return OK
}

func resultOf(sum *engine.Summary) event.Result {
	switch {
	case sum.Interrupted:
		return event.Interrupted
	case sum.Quit || sum.Aborted:
		return event.Aborted
	case sum.Failed():
		return event.Failed
	}
	return event.OK
}
