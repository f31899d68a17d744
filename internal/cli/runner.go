package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/user"
	"path/filepath"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/journal"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/redact"
	"github.com/drover-sh/drover/internal/release"
	"github.com/drover-sh/drover/internal/runbook"
	"github.com/drover-sh/drover/internal/secret"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/ui"
)

// runRequest is one runbook run; run, exec, switchrel and patch fill it.
type runRequest struct {
	rb     *runbook.Runbook
	sets   map[string]string
	target targetOptions
	out    outputOptions
	yes    bool
	dryRun bool
	resume string // run id or "last"

	// overrides are exec's --expect and --sudo; -p and --batches come
	// from target.
	overrides plan.Overrides
	// quiet leaves the step lines out of the output (exec folds instead).
	quiet bool
	// precheck runs on the connected, locked farm before the first step;
	// its error stops the run with nothing changed.
	precheck func(ctx context.Context, p *prepared) error
	// after runs once the engine is done, while the connections are open.
	after func(ctx context.Context, p *prepared)
}

// runResult is what a finished run leaves for the command to render.
type runResult struct {
	plan     *plan.Plan
	summary  *engine.Summary
	problems []engine.HostProblem
	runID    string
	events   *ui.Collector
	err      error // the outcome: nil when every host finished
}

// execute resolves, checks, connects, runs and reports a runbook. Its error
// carries the exit code.
func execute(ctx context.Context, env *env, req runRequest) (*runResult, error) {
	prep, err := prepare(ctx, env, &req)
	if err != nil {
		return nil, err
	}
	defer prep.runLock.Release()
	defer prep.closeConns()
	if req.dryRun {
		return prep.dryRun(env)
	}
	jr := prep.journal
	defer jr.Close()
	defer prep.unlock(ctx)
	if err := prep.lock(ctx); err != nil {
		return nil, prep.endBeforeSteps(jr, err)
	}
	if req.precheck != nil {
		if err := req.precheck(ctx, prep); err != nil {
			return nil, prep.endBeforeSteps(jr, err)
		}
	}
	res, err := prep.run(ctx, env, req, jr)
	if err == nil && req.after != nil {
		req.after(context.WithoutCancel(ctx), prep)
	}
	return res, err
}

// prepared is a run that passed every check and is connected.
type prepared struct {
	plan     *plan.Plan
	hosts    []inventory.Host
	runID    string
	done     map[string][]string
	resuming bool
	redactor *redact.Redactor
	secrets  *secret.Store
	gate     engine.Gate
	conns    map[string]transport.Conn
	problems []engine.HostProblem
	style    *ui.Style
	stateDir string
	runLock  *journal.RunLock // held for the whole run, resumed or new
	journal  *journal.Journal // started before pre-flight; nil for a dry run
	locks    *release.FarmLock
	user     string
	warn     io.Writer // where warnings go: stderr
}

// prepare does everything that may refuse the run before a host is changed:
// resolve, plan, secrets, gates, connections and host keys.
func prepare(ctx context.Context, env *env, req *runRequest) (_ *prepared, err error) {
	hosts, inv, err := req.target.resolve(env, req.rb.Target())
	if err != nil {
		return nil, err
	}
	p := &prepared{hosts: hosts, stateDir: stateDir(env), style: req.out.style(env), user: whoami(env), warn: env.stderr}
	if err := p.pickRun(req); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			p.runLock.Release()
		}
	}()
	pl, err := req.rb.Plan(runbook.Options{Sets: req.sets, Hosts: hosts, RunID: p.runID, HostPos: inv.HostPositions(hosts),
		Overrides: req.target.overrides(req.overrides)})
	if err != nil {
		return nil, usageErr(err)
	}
	p.plan = pl
	p.redactor = redact.New()
	p.secrets = secret.NewStore(pl.Secrets, env.getenv, env.term, p.redactor)
	if !req.dryRun { // a dry run answers no question and sends no secret
		if err := p.secrets.Preload(pl.NeededSecrets()); err != nil {
			return nil, usageErr(err)
		}
		if p.gate, err = pickGate(env, pl, req.yes, p.style); err != nil {
			return nil, err
		}
	}
	if req.dryRun {
		return p, p.connect(ctx, env, req)
	}
	// The journal starts before the first host is contacted, so a drover
	// killed from here on leaves a run that drover log lists and --resume
	// last picks up, with the locks it took (a run takes its locks again).
	if p.journal, err = p.startJournal(env); err != nil {
		return nil, err
	}
	if err := p.connect(ctx, env, req); err != nil {
		err = p.endBeforeSteps(p.journal, err)
		p.journal.Close()
		return nil, err
	}
	return p, nil
}

// pickRun chooses the run id and takes its local lock; for --resume it
// also takes the params and the stages already done.
func (p *prepared) pickRun(req *runRequest) error {
	if req.resume == "" {
		p.runID = newRunID()
		return p.lockRun()
	}
	id := req.resume
	if id == "last" {
		last, err := journal.Last(p.stateDir)
		if err != nil {
			return usageErr(fmt.Errorf("--resume last: %w", err))
		}
		id = last
	}
	p.runID = id
	if err := p.lockRun(); err != nil {
		return err
	}
	if err := p.resumeFrom(req); err != nil {
		p.runLock.Release()
		return err
	}
	return nil
}

// lockRun takes the local lock of p.runID: a run, resumed or not, is driven
// by one drover at a time.
func (p *prepared) lockRun() error {
	l, err := journal.LockRun(p.stateDir, p.runID)
	var held *journal.RunLockedError
	if errors.As(err, &held) {
		return locked(withHint(err, "wait for it to end; drover log %s shows how far it got", p.runID))
	}
	if err != nil {
		return err
	}
	p.runLock = l
	return nil
}

// resumeFrom reads the journal of the run to resume, p.runID.
func (p *prepared) resumeFrom(req *runRequest) error {
	id := p.runID
	old, err := journal.Read(p.stateDir, id)
	if err != nil {
		return usageErr(err)
	}
	if old.Runbook == "" {
		return usageErr(fmt.Errorf("run %s: its journal has no readable run.start line, so its params are unknown and it cannot be resumed", id))
	}
	if old.Runbook != req.rb.Name() {
		return usageErr(fmt.Errorf("run %s was runbook %q, not %q", id, old.Runbook, req.rb.Name()))
	}
	p.done, p.resuming = old.DoneStages(), true
	// The original run's params, so "{{ today }}" still names its release;
	// a --set given now overrides one of them.
	sets := maps.Clone(old.Params)
	if sets == nil {
		sets = map[string]string{}
	}
	maps.Copy(sets, req.sets)
	req.sets = sets
	return nil
}

// overrides adds -p and --batches to o.
func (o *targetOptions) overrides(ov plan.Overrides) plan.Overrides {
	ov.Parallel, ov.Batches = o.Parallel, o.Batches
	return ov
}

// pickGate returns who answers questions: --yes, a person at the terminal,
// or nobody (then a runbook with gates is refused before anything runs).
func pickGate(env *env, pl *plan.Plan, yes bool, st *ui.Style) (engine.Gate, error) {
	switch {
	case yes:
		return engine.AlwaysYes, nil
	case env.term.Interactive():
		return ui.NewGate(env.stderr, ui.NewStyle(env.stderr, st.Color), env.term.askKey), nil
	case engine.NeedsGate(pl):
		return nil, refused(withHint(errors.New("the runbook has confirmation gates and there is no terminal to ask on"),
			"run it from a terminal, or answer yes to every gate with --yes"))
	}
	return nil, nil
}

// connect dials every host. Host key problems stop the run (exit 2);
// unreachable hosts are failed hosts of the run.
func (p *prepared) connect(ctx context.Context, env *env, req *runRequest) error {
	if err := checkDescriptors(len(p.hosts), descriptorsPerHost(req.out)); err != nil {
		return err
	}
	dialer, err := req.target.dialer(env, p.redactor.Add, p.hosts)
	if err != nil {
		return err
	}
	p.conns, p.problems = engine.Preflight(ctx, dialer, p.hosts, preflightParallel)
	if ctx.Err() != nil {
		p.closeConns()
		return interrupted(ctx)
	}
	if len(p.problems) > 0 && !req.out.JSON {
		ui.Problems(env.stderr, ui.NewStyle(env.stderr, p.style.Color), problemRows(p.problems))
	}
	if err := hostKeyError(p.problems); err != nil {
		p.closeConns()
		return refused(err)
	}
	if err := p.checkLBs(ctx, env, req); err != nil {
		p.closeConns()
		return err
	}
	return nil
}

// preflightParallel is how many hosts pre-flight dials at once.
const preflightParallel = 64

func (p *prepared) closeConns() {
	for _, c := range p.conns {
		c.Close()
	}
}

func newRunID() string {
	b := make([]byte, 3)
	rand.Read(b)
	return journal.NewID(time.Now(), hex.EncodeToString(b))
}

// stateDir is where runs are journalled: $XDG_STATE_HOME/drover/runs.
func stateDir(env *env) string {
	base := env.getenv("XDG_STATE_HOME")
	if base == "" {
		base = filepath.Join(env.getenv("HOME"), ".local", "state")
	}
	return filepath.Join(base, "drover", "runs")
}

// whoami names the person running drover, for journals and locks.
func whoami(env *env) string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return env.getenv("USER")
}
