package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/journal"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/ui"
)

// run starts the journal and the output, runs the engine and returns the
// outcome with its exit code.
func (p *prepared) run(ctx context.Context, env *env, req runRequest, jr *journal.Journal) (*runResult, error) {
	col := ui.NewCollector()
	sinks := event.Multi{col}
	closeOut, spill, err := p.outputSinks(env, req, &sinks)
	if err != nil {
		return nil, err
	}
	defer closeOut()
	// The journal has the start already (startJournal).
	if err := sinks.Emit(p.startEvent(env)); err != nil {
		return nil, err
	}
	sinks = append(event.Multi{jr}, sinks...)
	for _, pr := range p.problems {
		sinks.Emit(event.Event{Time: time.Now(), Kind: event.HostConnect, RunID: p.runID, Host: pr.Host,
			Result: event.Unreachable, Error: p.redactor.String(pr.Err.Error())})
	}
	sum, err := engine.Run(ctx, p.plan, p.conns, engine.Options{
		Sink: sinks, Gate: p.gate, Secrets: p.secrets, RunID: p.runID, Done: p.done,
		OfferRetry: p.gate != nil && p.gate != engine.AlwaysYes, Redact: p.redactor.String, CutLine: p.redactor.SafeCut,
		Releases: p.releases(), Spill: spill,
	})
	if err != nil {
		// Hosts may have been changed: this is a failed run, not refused.
		// The journal says so, as far as it can still be written.
		stopped := failure(fmt.Errorf("the run stopped: %w", err))
		sinks.Emit(event.Event{Time: time.Now(), Kind: event.RunEnd, RunID: p.runID, Result: event.Failed,
			Code: exitCode(stopped), Error: p.redactor.String(err.Error())})
		return nil, stopped
	}
	p.markUnreachable(sum)
	res := &runResult{plan: p.plan, summary: sum, problems: p.problems, runID: p.runID, events: col, err: runOutcome(sum)}
	end := event.Event{Time: time.Now(), Kind: event.RunEnd, RunID: p.runID, Result: runResultOf(sum), Code: exitCode(res.err)}
	if err := sinks.Emit(end); err != nil {
		return nil, failure(fmt.Errorf("the run ended but its journal could not be written: %w", err))
	}
	return res, nil
}

// startJournal opens the run's journal (appending when resuming) and
// writes the run's start to it.
func (p *prepared) startJournal(env *env) (*journal.Journal, error) {
	open := journal.Create
	if p.resuming {
		open = journal.Append
	}
	jr, err := open(p.stateDir, p.runID)
	if err != nil {
		return nil, err
	}
	if err := jr.Emit(p.startEvent(env)); err != nil {
		jr.Close()
		return nil, err
	}
	return jr, nil
}

// endBeforeSteps records in the journal that the run ended before its
// first step (the farm lock or a check refused it, or it was
// interrupted), and returns err.
func (p *prepared) endBeforeSteps(jr *journal.Journal, err error) error {
	res := event.Aborted
	if exitCode(err) == exitInterrupted {
		res = event.Interrupted
	}
	jr.Emit(event.Event{Time: time.Now(), Kind: event.RunEnd, RunID: p.runID, Result: res,
		Code: exitCode(err), Error: p.redactor.String(err.Error())})
	return err
}

func (p *prepared) startEvent(env *env) event.Event {
	return event.Event{Time: time.Now(), Kind: event.RunStart, RunID: p.runID, Runbook: p.plan.Name,
		Text: p.plan.File, User: whoami(env), Params: p.plan.Params, Hosts: namesOf(p.hosts)}
}

// outputSinks adds the terminal or JSON output and the --log-dir
// transcripts to sinks; the returned func flushes them, spill takes the
// rest of over-long lines.
func (p *prepared) outputSinks(env *env, req runRequest, sinks *event.Multi) (func(), func(host, step, part string), error) {
	return req.out.sinks(env, outputView{hosts: namesOf(p.hosts), runbook: p.plan.Name, quiet: req.quiet, style: p.style,
		onBoard: func(b *ui.Board) { p.secrets.Hold = b.Hold }}, sinks)
}

// markUnreachable gives hosts that pre-flight could not reach their reason.
func (p *prepared) markUnreachable(sum *engine.Summary) {
	why := map[string]string{}
	for _, pr := range p.problems {
		why[pr.Host] = p.redactor.String(pr.Err.Error())
	}
	for i, h := range sum.Hosts {
		if reason, ok := why[h.Host]; ok {
			sum.Hosts[i].Result, sum.Hosts[i].Note = event.Unreachable, reason
		}
	}
}

// runOutcome is how a finished run ends, as the error Main turns into the
// exit code; the run's report is already printed.
func runOutcome(sum *engine.Summary) error {
	switch {
	case sum.Interrupted:
		return &InterruptedError{outcome{errSilent}}
	case sum.Quit:
		return aborted(errSilent)
	case sum.Aborted || sum.Failed():
		return failure(errSilent)
	}
	return nil
}

func runResultOf(sum *engine.Summary) event.Result {
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

// summaryRows turns the engine's summary into the table's rows.
func summaryRows(sum *engine.Summary) []ui.SummaryRow {
	rows := make([]ui.SummaryRow, len(sum.Hosts))
	for i, h := range sum.Hosts {
		rows[i] = ui.SummaryRow{Host: h.Host, Stage: h.Stage, Result: h.Result, Duration: h.Duration, Note: h.Note}
	}
	return rows
}

// codeOf returns the run's outcome as an error for Main.
func codeOf(res *runResult) error { return res.err }

// stoppedByPerson reports whether the operator ended the run: Ctrl-C or
// quit at a gate.
func (res *runResult) stoppedByPerson() bool {
	var in *InterruptedError
	var ab *AbortedError
	return errors.As(res.err, &in) || errors.As(res.err, &ab)
}

// hostKeyError is the error for unknown or changed host keys, with a hint.
func hostKeyError(problems []engine.HostProblem) error {
	var unknown, changed int
	for _, pr := range problems {
		var k *transport.HostKeyError
		if errors.As(pr.Err, &k) {
			if k.Problem == transport.HostKeyUnknown {
				unknown++
			} else {
				changed++ // changed or revoked: never accepted
			}
		}
	}
	switch {
	case changed > 0:
		return withHint(fmt.Errorf("%d host key(s) changed: nothing was run", changed),
			"a changed key is never accepted; if a host was really reinstalled, remove its old line with ssh-keygen -R HOST -f FILE")
	case unknown > 0:
		return withHint(fmt.Errorf("%d host key(s) unknown: nothing was run", unknown),
			"check the fingerprints above, then run again with --accept-new-host-keys to record them")
	}
	return nil
}
