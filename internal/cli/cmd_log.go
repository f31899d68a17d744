package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/journal"
	"github.com/drover-sh/drover/internal/ui"
)

type logOptions struct {
	out  outputOptions
	html string // write the run's HTML report to this file
}

func newLogCmd(env *env) *cobra.Command {
	var opts logOptions
	cmd := &cobra.Command{
		Use:   "log [RUN|last]",
		Short: "list past runs, or show one run's summary and timeline",
		Long: `Without an argument, list the runs in the journal, newest first: id, runbook,
who, when, result and host counts. With a run id (or last), show that run's
summary table and the timeline of its stages, batches and gates; with -v
also every output line; with --json its raw events; with --html FILE a
self-contained HTML report (timeline, summary, output tails) to share.

Examples:
  drover log
  drover log last
  drover log 20261122-101500-3fa9c1 -v
  drover log last --html cutover.html

` + exitCodesHelp,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return runLogList(cmd.Context(), opts, env)
			}
			return runLogShow(cmd.Context(), opts, args[0], env)
		},
	}
	cmd.Flags().BoolVarP(&opts.out.Verbose, "verbose", "v", false, "show every output line")
	cmd.Flags().BoolVar(&opts.out.JSON, "json", false, "print the run's events as JSON lines")
	cmd.Flags().BoolVar(&opts.out.NoColor, "no-color", false, "no colour")
	cmd.Flags().StringVar(&opts.html, "html", "", "write the run's HTML report to `FILE`")
	return cmd
}

func runLogList(_ context.Context, opts logOptions, env *env) error {
	runs, err := journal.List(stateDir(env))
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintf(env.stdout, "no runs yet in %s\n", stateDir(env))
		return nil
	}
	ui.Runs(env.stdout, opts.out.style(env), ui.RunRows(runs))
	return nil
}

// warnSkipped says which journal lines of run could not be read.
func warnSkipped(env *env, run *journal.Run) {
	for _, n := range run.Notes {
		fmt.Fprintf(env.stderr, "drover: warning: %s\n", n)
	}
	if more := run.Skipped - len(run.Notes); more > 0 {
		fmt.Fprintf(env.stderr, "drover: warning: %d more lines of %s skipped\n", more, run.ID)
	}
}

func runLogShow(_ context.Context, opts logOptions, id string, env *env) error {
	dir := stateDir(env)
	if id == "last" {
		last, err := journal.Last(dir)
		if errors.Is(err, journal.ErrNoRuns) {
			return usageErr(fmt.Errorf("no runs yet in %s", dir))
		}
		if err != nil {
			return err
		}
		id = last
	}
	run, err := journal.Read(dir, id)
	if err != nil {
		return usageErr(err)
	}
	warnSkipped(env, run)
	if opts.html != "" {
		return writeReport(env, run.ID, opts.html)
	}
	if opts.out.JSON {
		j := ui.NewJSON(env.stdout)
		for _, e := range run.Events {
			j.Emit(e)
		}
		return nil
	}
	ui.RunDetail(env.stdout, opts.out.style(env), run, opts.out.Verbose)
	if !run.Complete {
		rb := runbookArg(run.File)
		if rb == "" { // the journal lost its run.start
			rb = "RUNBOOK"
		}
		fmt.Fprintf(env.stdout, "the run did not finish (killed?): resume it with drover run %s --resume %s\n", rb, run.ID)
	}
	return nil
}
