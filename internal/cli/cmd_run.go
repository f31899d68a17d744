package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	runreport "github.com/drover-sh/drover/internal/report"
	"github.com/drover-sh/drover/internal/rollout"
	"github.com/drover-sh/drover/internal/runbook"
	"github.com/drover-sh/drover/internal/ui"
	"github.com/drover-sh/drover/runbooks"
)

type runOptions struct {
	target  targetOptions
	out     outputOptions
	sets    []string
	yes     bool
	dryRun  bool
	resume  string
	explain bool
	report  string // --report FILE: the run's HTML report
}

func newRunCmd(env *env) *cobra.Command {
	var opts runOptions
	cmd := &cobra.Command{
		Use:   "run RUNBOOK [target flags] [--set k=v]... [--yes] [--dry-run] [--resume RUN|last]",
		Short: "run a runbook across the farm",
		Long: `Run a runbook: resolve everything, connect to every host and check its key,
take the farm lock if the runbook touches releases, then run the stages in
order, batch by batch, stopping at gates and when too many hosts fail.
Every event goes to the journal ($XDG_STATE_HOME/drover/runs); --resume
re-runs only what a stopped run did not finish, with its params.

RUNBOOK is a file, or the name of a shipped runbook (` + shippedNames() + `).

Examples:
  drover run cutover.toml -g web --set source=./build/app.tar.gz
  drover run cutover.toml -g web --set release=2026-11-22 --dry-run
  drover run cutover.toml --resume last

` + exitCodesHelp,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), opts, args[0], env)
		},
	}
	opts.target.register(cmd.Flags())
	opts.out.register(cmd.Flags())
	registerSets(cmd.Flags(), &opts.sets)
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "answer yes at every gate")
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "plan and pre-flight only: connect, check host keys, run nothing")
	cmd.Flags().StringVar(&opts.resume, "resume", "", "resume run RUN (or last): redo only what is not done")
	cmd.Flags().StringVar(&opts.report, "report", "", "when the run ends, write its HTML report to `FILE`")
	cmd.Flags().BoolVar(&opts.explain, "explain-prompts", false, "for hosts stuck at a prompt, show a ready-to-paste expect rule")
	return cmd
}

func registerSets(fs *pflag.FlagSet, sets *[]string) {
	fs.StringArrayVar(sets, "set", nil, "set a runbook param: NAME=VALUE (repeatable)")
}

func runRun(ctx context.Context, opts runOptions, file string, env *env) error {
	rb, sets, err := loadWithSets(file, opts.sets)
	if err != nil {
		return err
	}
	if opts.report != "" {
		if err := runreport.CheckDest(opts.report); err != nil {
			return usageErr(err)
		}
	}
	res, err := execute(ctx, env, runRequest{rb: rb, sets: sets, target: opts.target, out: opts.out,
		yes: opts.yes, dryRun: opts.dryRun, resume: opts.resume})
	if err != nil {
		return err
	}
	if opts.report != "" && res.RunID != "" && !opts.dryRun {
		if err := writeReport(env, res.RunID, opts.report); err != nil {
			fmt.Fprintf(env.stderr, "drover: error: %s\n", err) // the run itself is what the exit code tells
		}
	}
	if res.Summary != nil && !opts.out.JSON {
		writeRunSummary(env, opts.out, res)
		if opts.explain {
			explainPrompts(env.stdout, res.Summary, false)
		}
	}
	return codeOf(res)
}

// writeRunSummary prints the summary table and how to go on.
func writeRunSummary(env *env, out outputOptions, res *runResult) {
	fmt.Fprintln(env.stdout)
	ui.Summary(env.stdout, out.style(env), ui.SummaryRows(res.Summary))
	fmt.Fprintf(env.stdout, "run %s: journal with `drover log %s`", res.RunID, res.RunID)
	if res.Outcome != rollout.OK {
		fmt.Fprintf(env.stdout, ", resume with `drover run %s --resume %s`", runbookArg(res.Plan.File), res.RunID)
	}
	fmt.Fprintln(env.stdout)
}

// shippedNames lists the shipped runbooks by the names run takes.
func shippedNames() string {
	var names []string
	for _, n := range runbooks.Names() {
		names = append(names, strings.TrimSuffix(n, ".toml"))
	}
	return strings.Join(names, ", ")
}

// runbookArg is how a person names a runbook on the command line: a
// shipped one by its name.
func runbookArg(file string) string {
	if name, ok := strings.CutPrefix(file, "embedded:"); ok {
		return strings.TrimSuffix(name, ".toml")
	}
	return file
}

// loadWithSets reads a runbook and the command line's --set values.
func loadWithSets(file string, raw []string) (*runbook.Runbook, map[string]string, error) {
	rb, err := loadRunbook(file)
	if err != nil {
		return nil, nil, err
	}
	sets, err := parseSets(raw)
	if err != nil {
		return nil, nil, err
	}
	return rb, sets, nil
}

// loadRunbook reads a runbook file, or a shipped one by name.
func loadRunbook(file string) (*runbook.Runbook, error) {
	src, err := os.ReadFile(file)
	if _, ok := shippedSource(file, err); ok {
		return shippedRunbook(file + ".toml")
	}
	if err != nil {
		return nil, usageErr(withHint(fmt.Errorf("read runbook: %w", err),
			"shipped runbooks: %s", strings.Join(runbooks.Names(), ", ")))
	}
	rb, err := runbook.Parse(file, src)
	if err != nil {
		return nil, usageErr(err)
	}
	return rb, nil
}

// shippedSource is the shipped runbook a command line names, when reading
// it as a file failed with err because there is no such file.
func shippedSource(name string, err error) ([]byte, bool) {
	if !os.IsNotExist(err) || strings.ContainsAny(name, "/.") {
		return nil, false
	}
	src, serr := runbooks.Read(name + ".toml")
	return src, serr == nil
}

// parseSets reads --set NAME=VALUE flags.
func parseSets(flags []string) (map[string]string, error) {
	sets := map[string]string{}
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, usageErr(fmt.Errorf("--set %q: want NAME=VALUE", f))
		}
		sets[k] = v
	}
	return sets, nil
}
