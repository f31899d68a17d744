package cli

import (
	"context"
	"fmt"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/rollout"
	"github.com/drover-sh/drover/internal/runbook"
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
	// precheck and after are rollout's Precheck and After.
	precheck func(ctx context.Context, f *rollout.Farm) error
	after    func(ctx context.Context, f *rollout.Farm)
}

// runResult is what a finished run leaves for the command to render.
type runResult struct {
	*rollout.Result
	events *ui.Collector // every host's output and exit status
}

// beforeSwitch, when set, is called before each host's switch. Tests set
// it to make a host's goroutine panic; it is nil otherwise.
var beforeSwitch func(host string)

// everyHostReached refuses a command that changes every targeted host or
// none (patch, switchrel) when pre-flight could not reach some of them:
// a farm left half patched or half switched is worse than one untouched.
func everyHostReached(f *rollout.Farm, command string) error {
	if len(f.Problems) == 0 {
		return nil
	}
	names := make([]string, len(f.Problems))
	for i, p := range f.Problems {
		names[i] = p.Host
	}
	err := fmt.Errorf("%s could not be reached, and %s changes every host or none: nothing was changed",
		inventory.Compress(names), command)
	return withHint(refused(err), "bring it back, or leave it out with --exclude %s", strings.Join(names, ","))
}

// execute runs a runbook (package rollout does) and, for a dry run, shows
// what it would do. Its error carries the outcome.
func execute(ctx context.Context, env *env, req runRequest) (*runResult, error) {
	col := ui.NewCollector()
	res, err := rollout.Run(ctx, req.options(env, col))
	if err != nil {
		return nil, classify(err)
	}
	switch {
	case req.dryRun && req.out.JSON:
		if err := ui.DryRunJSON(env.stdout, res.Plan, res.Connected); err != nil {
			return nil, err
		}
	case req.dryRun:
		ui.PlanOutline(env.stdout, res.Plan)
		fmt.Fprintf(env.stdout, "\npre-flight: %d of %d hosts connected, host keys verified\n", res.Connected, res.Hosts)
	}
	return &runResult{Result: res, events: col}, nil
}

// options are rollout's inputs for req.
func (req *runRequest) options(env *env, col *ui.Collector) rollout.Options {
	o := rollout.Options{
		Runbook:      req.rb,
		Sets:         req.sets,
		Target:       req.target.Options,
		Env:          env.target(),
		Overrides:    req.target.overrides(req.overrides),
		Gate:         pickGate(env, req.yes, req.out),
		DryRun:       req.dryRun,
		Resume:       req.resume,
		StateDir:     stateDir(env),
		User:         whoami(env),
		LogDir:       req.out.LogDir,
		ExitCode:     func(err error) int { return exitCode(classify(err)) },
		Output:       req.out.output(env, req.quiet, col),
		Warn:         warner(env),
		Precheck:     req.precheck,
		After:        req.after,
		BeforeSwitch: beforeSwitch,
	}
	if !req.out.JSON {
		o.Problems = req.out.showProblems(env)
	}
	return o
}

// pickGate returns who answers questions: --yes, a person at the terminal,
// or nobody (then rollout refuses a runbook with gates).
func pickGate(env *env, yes bool, out outputOptions) engine.Gate {
	switch {
	case yes:
		return engine.AlwaysYes
	case env.term.Interactive():
		return ui.NewGate(env.stderr, ui.NewStyle(env.stderr, out.color(env)), env.term.AskKey)
	}
	return nil
}

// connectTargets resolves the target flags and connects to every host,
// for commands that read or fix hosts without a runbook (releases,
// unlock). The caller closes the farm.
func connectTargets(ctx context.Context, env *env, target targetOptions, out outputOptions) (*rollout.Farm, error) {
	f, err := rollout.Connect(ctx, rollout.Dial{Target: target.Options, Env: env.target(),
		Transcripts: out.LogDir != "", Problems: out.showProblems(env)})
	return f, classify(err)
}

// codeOf returns the run's outcome as an error for Main; the run's report
// is printed already, so Main prints nothing more.
func codeOf(res *runResult) error {
	if res.Outcome == rollout.OK {
		return nil
	}
	return classify(&rollout.Error{Kind: res.Outcome, Err: errSilent})
}

// stoppedByPerson reports whether the operator ended the run: Ctrl-C or
// quit at a gate.
func (res *runResult) stoppedByPerson() bool {
	return res.Outcome == rollout.Interrupted || res.Outcome == rollout.Quit
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
