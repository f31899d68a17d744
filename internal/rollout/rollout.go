// Package rollout carries out one run of a runbook across a farm: it picks
// the run (a new one, or the one to resume) and takes its local lock,
// builds the plan with the overrides, reads the secrets, connects to every
// host and checks host keys and load balancers, starts the journal, takes
// the farm lock when the runbook touches releases, runs the engine and
// records how the run ended.
//
// It prints nothing and chooses no exit code. What a person sees comes
// through the Output, Problems and Warn functions the caller gives; the
// errors a caller branches on are *Error values of a Kind, and the exit
// code the journal records is the caller's ExitCode. Flags, terminals and
// rendering are the caller's (package cli).
package rollout

import (
	"context"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/runbook"
	"github.com/drover-sh/drover/internal/target"
)

// Options are the inputs of one run. The functions may be nil unless said
// otherwise.
type Options struct {
	Runbook   *runbook.Runbook
	Sets      map[string]string // --set
	Target    target.Options
	Env       target.Env
	Overrides plan.Overrides // -p, --batches, exec's --expect and --sudo
	// Gate answers the runbook's gates; nil means nobody can, and a
	// runbook with gates is then refused before anything runs.
	Gate   engine.Gate
	DryRun bool   // plan and pre-flight only
	Resume string // the run id to resume, or "last"

	StateDir string // where runs are journalled
	User     string // who runs drover, for the journal and the locks
	LogDir   string // a redacted transcript per host goes here

	// ExitCode is the code drover ends with for an error (nil for
	// success); the journal records it. Required.
	ExitCode func(error) int
	// Output is the person's view of the run, started once every check
	// passed; see Output.
	Output func(View) *Output
	// Problems is shown the hosts pre-flight could not use.
	Problems func([]engine.HostProblem)
	// Warn is told what went wrong without stopping the run.
	Warn func(error)

	// Precheck runs on the connected, locked farm before the first step;
	// its error stops the run with nothing changed.
	Precheck func(ctx context.Context, f *Farm) error
	// After runs once the engine is done, while the connections are open.
	After func(ctx context.Context, f *Farm)
	// BeforeSwitch is called before each host's switch (tests).
	BeforeSwitch func(host string)
}

// View is what the output of a run is told when it starts.
type View struct {
	Hosts   []string // the targeted hosts, in order
	Runbook string
}

// Output is the person's view of a run: a sink that never fails the run
// (see event.BestEffort), how to stop it, and, for a live display, how to
// keep it off the terminal while a secret is asked for.
type Output struct {
	Sink  event.Sink
	Close func()
	Hold  func() (release func())
}

// Result is how a run ended, for the caller to render.
type Result struct {
	Plan      *plan.Plan
	Summary   *engine.Summary // nil for a dry run
	Problems  []engine.HostProblem
	RunID     string
	Hosts     int  // targeted
	Connected int  // connections pre-flight made, load balancers' via hosts included
	Outcome   Kind // OK when every host finished (or, for a dry run, connected)
}

// Err is the outcome as an error: nil for OK.
func (r *Result) Err() error {
	if r.Outcome == OK {
		return nil
	}
	return &Error{Kind: r.Outcome, Err: errEnded}
}

// Run carries out the run opts describes. An error is a run that did not
// end by itself (refused, locked, interrupted before its first step, or
// stopped by a run-wide failure); hosts that failed are in the Result.
func Run(ctx context.Context, opts Options) (*Result, error) {
	r, err := prepare(ctx, &opts)
	if err != nil {
		return nil, err
	}
	defer r.runLock.Release()
	defer r.farm.Close()
	if opts.DryRun {
		return r.result(nil, dryOutcome(r.farm)), nil
	}
	defer r.journal.Close()
	defer r.unlock(ctx)
	if err := r.lock(ctx); err != nil {
		return nil, r.endBeforeSteps(err)
	}
	if opts.Precheck != nil {
		if err := opts.Precheck(ctx, r.farm); err != nil {
			return nil, r.endBeforeSteps(err)
		}
	}
	res, err := r.execute(ctx)
	if err == nil && opts.After != nil {
		opts.After(context.WithoutCancel(ctx), r.farm)
	}
	return res, err
}

// dryOutcome is a dry run's: failed when some host could not be used.
func dryOutcome(f *Farm) Kind {
	if len(f.Problems) > 0 {
		return Failed
	}
	return OK
}
