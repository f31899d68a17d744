// Package engine runs a resolved plan.Plan on hosts that are already
// connected (DESIGN §5): stages as barriers, batches with a sliding window of
// hosts in flight, max_fail, gates, confirm steps, retries, undo on abort,
// interrupts and resume. It reports everything it does as events on a Sink.
//
// It does not parse runbooks, resolve inventories, draw anything, read the
// terminal, choose exit codes or speak SSH: plans come from package runbook,
// connections from a transport.Dialer (see Preflight), questions are put to
// an injected Gate, and the caller renders the events and the Summary. The
// caller also emits run.start before Run and run.end after it, because only
// it knows who runs the run and which exit code the run ends with.
//
// # Decisions where DESIGN is silent
//
//   - A host skipped at a batch or host gate, or by No at a confirm step, is
//     left alone for the rest of the run (no later stage runs on it). No at a
//     stage gate skips that stage only: its hosts go on to the next stage.
//   - After a failed step (retries used up) with OfferRetry, only Retry runs
//     it again; Yes and No accept the failure. All is not offered there.
//   - Quit stops new hosts like an abort; hosts in flight finish their
//     current steps but abort at their next confirm step. Stages with
//     undo_on_abort then ask the undo question, newest stage first.
//   - Hosts that never started a stage because the run stopped get a
//     host.end with result aborted (or interrupted) and note "not started".
//   - A resumed host gets a host.end ok with Text "done in an earlier run"
//     for each stage it skips, so the journal of the new run is complete.
//   - A watch step starts reading the log at the size it had before the
//     previous step began (or when the watch starts, for a first step), so
//     it sees what that step caused and no older line.
//   - A local step with once = true runs for the first host that reaches it;
//     every other host of the stage shares its outcome.
//
// Exit codes are the CLI's: Quit -> 3, Interrupted -> 130, Aborted or
// Failed() -> 1, else 0.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// Secrets gives secret values by name. Get may prompt on a terminal the
// first time a secret is needed; it is called only when a host asks for the
// secret. Implementations are safe for concurrent use.
type Secrets interface {
	Get(ctx context.Context, name string) (string, error)
}

// LocalFunc runs cmd on the control machine with env as its whole
// environment, writing its combined output to out. A non-zero exit is
// reported as an error with an ExitCode() int method (as *exec.ExitError) or
// as *transport.ExitError. Cancelling ctx stops the command.
type LocalFunc func(ctx context.Context, cmd string, env []string, out io.Writer) error

// Releases switches a host's current release (switchrel steps). The CLI
// implements it with package release; Switch resolves "previous" itself and
// returns a short note for the step's output, e.g. "r1 -> r2".
// Implementations are safe for concurrent use.
type Releases interface {
	Switch(ctx context.Context, host string, conn transport.Conn, id string) (note string, err error)
}

// Options tune a run. The zero value is usable except that Gate must be set
// when the plan asks questions (see NeedsGate).
type Options struct {
	Sink    event.Sink // nil drops events
	Gate    Gate       // asked at gates, confirm steps, undo and retry
	Secrets Secrets    // for expect replies and sudo; nil fails steps that need one
	RunID   string     // set on every event

	// Done is for resume: host -> names of the stages it completed in an
	// earlier run. Those stages are skipped on that host and count as ok.
	Done map[string][]string

	// OfferRetry: a person is watching, so after a failed step (retries
	// used up) the gate is asked whether to retry it.
	OfferRetry bool

	// Redact is applied to every output line, error and question text
	// before it leaves the engine. nil leaves text as it is.
	Redact func(string) string
	// CutLine says where an output line too long to report whole may be
	// cut so that no secret is split between two lines (a Redactor's
	// SafeCut). nil cuts at the limit.
	CutLine func(line string) int

	Local    LocalFunc // runs local steps; nil runs them with sh -c
	Releases Releases  // switchrel steps; nil fails them with "not supported yet"

	// Spill receives, redacted, the rest of every output line longer than
	// 64 KiB, whose event carries only its start (the --log-dir transcript
	// keeps it). nil drops it. It is called from the hosts' goroutines.
	Spill func(host, step, part string)

	// HostTimeout bounds what the engine asks of a host beside a step's
	// own work: opening a session and starting its command, and reading a
	// log's size before a watch. A host that does not answer in time (a
	// hung sshd, a FIFO or a hung mount) fails that step. 0 means 30s.
	HostTimeout time.Duration

	// SessionPerStep runs every plain run step (no PTY) in a session of
	// its own, as for a single step, instead of in one shell per host and
	// stage.
	SessionPerStep bool

	// Now is the clock for event times; nil means time.Now.
	Now func() time.Time
}

// HostResult is how one host ended the run.
type HostResult struct {
	Host     string
	Stage    string       // the last stage the host was in
	Result   event.Result // ok, failed, skipped, aborted, interrupted
	Duration time.Duration
	Note     string // the error, e.g. `exit 1 in "restart"`, or why it was skipped
}

// Summary is the outcome of a run.
type Summary struct {
	Hosts       []HostResult // in plan order
	Aborted     bool         // max_fail was exceeded or the operator quit
	Interrupted bool         // ctx was cancelled
	Quit        bool         // the operator answered q at a gate
}

// Failed reports whether a host failed. With Quit, Interrupted and Aborted
// it is what the CLI needs to choose the exit code.
func (s *Summary) Failed() bool {
	for _, h := range s.Hosts {
		if h.Result == event.Failed || h.Result == event.Unreachable {
			return true
		}
	}
	return false
}

// ErrNoGate is returned by Run for a plan that asks questions when
// Options.Gate is nil.
var ErrNoGate = errors.New("the runbook has gates but nothing can answer them")

// Run runs p on conns (one per host of p; a host without a connection is
// left out of every stage and reported unreachable, without counting
// against max_fail). Host failures are data in the Summary; the error is
// only for run-wide problems such as a Sink that cannot write. Cancelling
// ctx interrupts the run: no new work starts, running commands are
// interrupted, no undo runs, and Summary.Interrupted is set.
//
// A panic in the engine or in what it calls ends the run the same way: Run
// returns an error wrapping ErrPanic, with what it knows in the Summary.
func Run(ctx context.Context, p *plan.Plan, conns map[string]transport.Conn, opts Options) (sum *Summary, err error) {
	if opts.Gate == nil && NeedsGate(p) {
		return nil, ErrNoGate
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := newRunner(p, conns, opts, cancel)
	tunnels, stopServing, err := serveTunnels(p.Tunnels)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", p.Name, err)
	}
	defer stopServing()
	r.tunnels = tunnels
	defer func() {
		if err != nil {
			err = fmt.Errorf("run %s: %w", p.Name, err)
		}
	}()
	defer recoverRun(&err)
	defer r.streams.close()
	r.runStages(runCtx)
	return r.summary(ctx), r.em.failure()
}

// NeedsGate reports whether running p may ask a question: a stage gate, a
// confirm step or undo on abort.
func NeedsGate(p *plan.Plan) bool {
	for _, st := range p.Stages {
		if st.UndoOnAbort || (st.Gate != "" && st.Gate != plan.GateNone) {
			return true
		}
		for _, steps := range st.Steps {
			for _, s := range steps {
				if s.Kind == plan.KindConfirm {
					return true
				}
			}
		}
	}
	return false
}

// runner is the state of one Run.
type runner struct {
	plan  *plan.Plan
	conns map[string]transport.Conn
	opts  Options
	em    *emitter
	gates *gateKeeper
	now   func() time.Time

	mu      sync.Mutex
	hosts   map[string]*hostState
	aborted bool
	quit    bool
	stages  []*stageRun // stages that began, in order, for undo
	lbMarks lbMarks     // servers drained by haproxy steps, to restore

	trees   treeCache   // local trees uploads send, each read once
	streams streamCache // upload streams, each archived once
	sums    sumCache    // served files fetch steps check against
	tunnels []plan.Tunnel
}

func newRunner(p *plan.Plan, conns map[string]transport.Conn, opts Options, cancel context.CancelCauseFunc) *runner {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	em := newEmitter(opts.Sink, opts.RunID, opts.Redact, now, cancel)
	r := &runner{plan: p, conns: conns, opts: opts, em: em, now: now, hosts: map[string]*hostState{}}
	r.gates = newGateKeeper(opts.Gate, em)
	for _, h := range p.Hosts {
		st := &hostState{name: h.Name, host: h, conn: conns[h.Name], result: event.OK}
		if st.conn == nil {
			st.out, st.result, st.note = true, event.Unreachable, "not connected"
		}
		r.hosts[h.Name] = st
	}
	return r
}

// runStages runs every stage in order, then the undo of an aborted run.
func (r *runner) runStages(ctx context.Context) {
	for i := range r.plan.Stages {
		if r.stopped(ctx) {
			break
		}
		s := newStageRun(r, i)
		r.mu.Lock()
		r.stages = append(r.stages, s)
		r.mu.Unlock()
		s.run(ctx)
	}
	if r.isAborted() && ctx.Err() == nil {
		r.undo(ctx)
	}
	r.restoreLBs(ctx)
	r.markUnfinished(ctx.Err() != nil)
}

// abort stops the starting of new hosts for the rest of the run.
func (r *runner) abort(quit bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.aborted = true
	r.quit = r.quit || quit
}

func (r *runner) isAborted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.aborted
}

func (r *runner) hasQuit() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.quit
}

// stopped reports whether no new work may start.
func (r *runner) stopped(ctx context.Context) bool {
	return ctx.Err() != nil || r.isAborted()
}

// summary builds the Summary; ctx is the caller's, to tell an interrupt
// from a run-wide failure.
func (r *runner) summary(ctx context.Context) *Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &Summary{Aborted: r.aborted, Quit: r.quit, Interrupted: ctx.Err() != nil}
	for _, h := range r.plan.Hosts {
		st := r.hosts[h.Name]
		s.Hosts = append(s.Hosts, HostResult{Host: h.Name, Stage: st.stage, Result: st.result, Duration: st.dur, Note: st.note})
	}
	return s
}
