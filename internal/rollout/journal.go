package rollout

import (
	"time"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/journal"
)

// startJournal opens the run's journal (appending when resuming) and
// writes the run's start to it.
func (r *run) startJournal() (*journal.Journal, error) {
	open := journal.Create
	if r.resuming {
		open = journal.Append
	}
	jr, err := open(r.opts.StateDir, r.runID)
	if err != nil {
		return nil, err
	}
	if err := jr.Emit(r.startEvent()); err != nil {
		jr.Close()
		return nil, err
	}
	return jr, nil
}

// endBeforeSteps records in the journal that the run ended before its
// first step (the farm lock or a check refused it, or it was
// interrupted), and returns err.
func (r *run) endBeforeSteps(err error) error {
	res := event.Refused // before the first step: nothing was changed
	if isInterrupt(err) {
		res = event.Interrupted
	}
	r.journal.Emit(event.Event{Time: time.Now(), Kind: event.RunEnd, RunID: r.runID, Result: res,
		Code: r.opts.ExitCode(err), Error: r.redactor.String(err.Error())})
	return err
}

// startEvent is the run's first journal line. Its params are redacted: a
// param that holds a secret's value (a command that echoes a password) is
// kept masked, and --resume then asks for it again (resumeFrom).
func (r *run) startEvent() event.Event {
	params := make(map[string]string, len(r.plan.Params))
	for k, v := range r.plan.Params {
		params[k] = r.redactor.String(v)
	}
	return event.Event{Time: time.Now(), Kind: event.RunStart, RunID: r.runID, Runbook: r.plan.Name,
		Text: r.plan.File, User: r.opts.User, Params: params, Hosts: namesOf(r.hosts)}
}

// namesOf returns the names of hosts, in order.
func namesOf(hosts []inventory.Host) []string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return names
}
