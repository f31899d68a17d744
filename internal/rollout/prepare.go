package rollout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/journal"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/redact"
	"github.com/drover-sh/drover/internal/release"
	"github.com/drover-sh/drover/internal/runbook"
	"github.com/drover-sh/drover/internal/secret"
)

// run is a run that passed every check and is connected.
type run struct {
	opts     *Options
	plan     *plan.Plan
	hosts    []inventory.Host
	runID    string
	done     map[string][]string // stages done, when resuming
	resuming bool
	sets     map[string]string
	redactor *redact.Redactor
	secrets  *secret.Store
	farm     *Farm
	runLock  *journal.RunLock  // held for the whole run, resumed or new
	journal  *journal.Journal  // started before pre-flight; nil for a dry run
	locks    *release.FarmLock // the farm lock, when the runbook has releases
}

// prepare does everything that may refuse the run before a host is changed:
// resolve, plan, secrets, gates, connections and host keys.
func prepare(ctx context.Context, opts *Options) (_ *run, err error) {
	hosts, inv, err := opts.Target.Resolve(opts.Env, opts.Runbook.Target())
	if err != nil {
		return nil, invalid(err)
	}
	r := &run{opts: opts, hosts: hosts, sets: opts.Sets}
	if err := r.pickRun(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			r.runLock.Release()
		}
	}()
	if err := r.buildPlan(inv); err != nil {
		return nil, err
	}
	budgetThreads(r.plan)
	if opts.DryRun {
		return r, r.connect(ctx)
	}
	// The journal starts before the first host is contacted, so a drover
	// killed from here on leaves a run that drover log lists and --resume
	// last picks up, with the locks it took (a run takes its locks again).
	if r.journal, err = r.startJournal(); err != nil {
		return nil, err
	}
	if err := r.connect(ctx); err != nil {
		err = r.endBeforeSteps(err)
		r.journal.Close()
		return nil, err
	}
	return r, nil
}

// buildPlan builds the plan with the overrides, and for a real run reads
// the secrets it needs and makes sure someone can answer its gates.
func (r *run) buildPlan(inv *inventory.Inventory) error {
	o := r.opts
	pl, err := o.Runbook.Plan(runbook.Options{Sets: r.sets, Hosts: r.hosts, RunID: r.runID,
		HostPos: inv.HostPositions(r.hosts), Overrides: o.Overrides})
	if err != nil {
		return invalid(err)
	}
	r.plan = pl
	r.redactor = redact.New()
	r.secrets = secret.NewStore(pl.Secrets, o.Env.Getenv, o.Env.Term, r.redactor)
	if o.DryRun { // a dry run answers no question and sends no secret
		return nil
	}
	if err := r.secrets.Preload(pl.NeededSecrets()); err != nil {
		return invalid(err)
	}
	if o.Gate == nil && engine.NeedsGate(pl) {
		return refused(hinted(errors.New("the runbook has confirmation gates and there is no terminal to ask on"),
			"run it from a terminal, or answer yes to every gate with --yes"))
	}
	return nil
}

// pickRun chooses the run id and takes its local lock; for --resume it
// also takes the params and the stages already done.
func (r *run) pickRun() error {
	if r.opts.Resume == "" {
		r.runID = newRunID()
		return r.lockRun()
	}
	id := r.opts.Resume
	if id == "last" {
		last, err := r.lastRun()
		if err != nil {
			return invalid(fmt.Errorf("--resume last: %w", err))
		}
		id = last
	}
	r.runID = id
	if err := r.lockRun(); err != nil {
		return err
	}
	if err := r.resumeFrom(); err != nil {
		r.runLock.Release()
		return err
	}
	return nil
}

// lastRun is the run --resume last means: the newest run of this runbook
// that did not end refused (a refusal changed nothing). A newest journal
// whose runbook cannot be read is taken too, and resumeFrom says why it
// cannot be resumed, rather than reach past it to an older run.
func (r *run) lastRun() (string, error) {
	runs, err := journal.List(r.opts.StateDir)
	if err != nil {
		return "", err
	}
	name := r.opts.Runbook.Name()
	for _, run := range runs {
		if run.Runbook == "" || (run.Runbook == name && run.Result != event.Refused) {
			return run.ID, nil
		}
	}
	return "", fmt.Errorf("no run of runbook %q to resume in %s", name, r.opts.StateDir)
}

// lockRun takes the local lock of r.runID: a run, resumed or not, is driven
// by one drover at a time.
func (r *run) lockRun() error {
	l, err := journal.LockRun(r.opts.StateDir, r.runID)
	var held *journal.RunLockedError
	if errors.As(err, &held) {
		return locked(hinted(err, "wait for it to end; drover log %s shows how far it got", r.runID))
	}
	if err != nil {
		return err
	}
	r.runLock = l
	return nil
}

// resumeFrom reads the journal of the run to resume, r.runID.
func (r *run) resumeFrom() error {
	id := r.runID
	old, err := journal.Read(r.opts.StateDir, id)
	if err != nil {
		return invalid(err)
	}
	if old.Runbook == "" {
		return invalid(fmt.Errorf("run %s: its journal has no readable run.start line, so its params are unknown and it cannot be resumed", id))
	}
	if name := r.opts.Runbook.Name(); old.Runbook != name {
		return invalid(fmt.Errorf("run %s was runbook %q, not %q", id, old.Runbook, name))
	}
	r.done, r.resuming = old.DoneStages(), true
	// The original run's params, so "{{ today }}" still names its release;
	// a --set given now overrides one of them.
	sets := maps.Clone(old.Params)
	if sets == nil {
		sets = map[string]string{}
	}
	maps.Copy(sets, r.opts.Sets)
	for _, k := range slices.Sorted(maps.Keys(sets)) {
		if strings.Contains(sets[k], redact.Mask) {
			return invalid(hinted(fmt.Errorf("run %s: param %s held a secret, which its journal keeps masked", id, k),
				"give it again: --set %s=...", k))
		}
	}
	r.sets = sets
	return nil
}

func newRunID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return journal.NewID(time.Now(), hex.EncodeToString(b))
}
