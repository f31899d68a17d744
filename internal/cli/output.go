package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/rollout"
	"github.com/drover-sh/drover/internal/ui"
)

// outputOptions are the output flags every command that touches hosts has.
type outputOptions struct {
	Verbose bool
	JSON    bool
	LogDir  string
	NoColor bool
	Color   colorMode // --color auto|always|never
}

func (o *outputOptions) register(fs *pflag.FlagSet) {
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "stream every output line, host-prefixed")
	fs.BoolVar(&o.JSON, "json", false, "events as JSON lines on stdout")
	fs.StringVar(&o.LogDir, "log-dir", "", "write a full, redacted transcript per host into this directory")
	o.registerColor(fs)
}

// registerColor adds the colour flags alone, for a command that prints a
// table and runs no step.
func (o *outputOptions) registerColor(fs *pflag.FlagSet) {
	fs.BoolVar(&o.NoColor, "no-color", false, "no colour (as --color never)")
	fs.Var(&o.Color, "color", "colour: auto (a terminal, and NO_COLOR empty or unset), always, never")
}

// color reports whether stdout gets colour: --color always, or a terminal
// with no --no-color, no --json and no non-empty NO_COLOR (no-color.org:
// NO_COLOR set to the empty string does not count).
func (o *outputOptions) color(env *env) bool {
	switch {
	case o.JSON || o.NoColor || o.Color == "never":
		return false
	case o.Color == "always":
		return true
	}
	if v, _ := lookupEnv(env, "NO_COLOR"); v != "" {
		return false
	}
	return ui.IsTerminal(env.stdout)
}

// colorMode is the value of --color.
type colorMode string

func (c *colorMode) String() string { return string(*c) }
func (c *colorMode) Type() string   { return "WHEN" }

func (c *colorMode) Set(s string) error {
	switch s {
	case "auto", "always", "never":
		*c = colorMode(s)
		return nil
	}
	return fmt.Errorf("want auto, always or never, not %q", s)
}

// style returns the styles for stdout.
func (o *outputOptions) style(env *env) *ui.Style { return ui.NewStyle(env.stdout, o.color(env)) }

// lookupEnv tells a variable set to "" from one not set.
func lookupEnv(env *env, name string) (string, bool) {
	if env.lookupEnv != nil {
		return env.lookupEnv(name)
	}
	v := env.getenv(name)
	return v, v != ""
}

// output is the person's view of a run for package rollout: col sees
// every event, and the display, when there is one, never fails the run.
func (o *outputOptions) output(env *env, quiet bool, col *ui.Collector) func(rollout.View) *rollout.Output {
	return func(v rollout.View) *rollout.Output {
		out := &rollout.Output{Sink: col, Close: func() {}}
		d := o.display(env, v, quiet)
		if d == nil {
			return out
		}
		out.Sink = event.Multi{col, &event.BestEffort{Sink: d, Failed: func(err error) {
			warner(env)(fmt.Errorf("the output on stdout stopped, the run goes on without them: %w", err))
		}}}
		if b, ok := d.(*ui.Board); ok {
			out.Close, out.Hold = func() { b.Close() }, b.Hold
		}
		return out
	}
}

// display renders a run on stdout: JSON events, the live board (a
// terminal with colour) or plain lines; nil when the command renders its
// result itself (quiet) and no -v asks for lines.
func (o *outputOptions) display(env *env, v rollout.View, quiet bool) event.Sink {
	st := o.style(env)
	switch {
	case o.JSON:
		return ui.NewJSON(env.stdout)
	case st.Color && ui.IsTerminal(env.stdout):
		return ui.NewBoard(ui.BoardOptions{Out: env.stdout, Style: st, Runbook: v.Runbook, Hosts: v.Hosts,
			Verbose: o.Verbose, Quiet: quiet && !o.Verbose})
	case !quiet || o.Verbose:
		return ui.NewLines(env.stdout, st, o.Verbose, v.Hosts)
	}
	return nil
}

// showProblems prints the hosts pre-flight could not use as one table on
// stderr.
func (o *outputOptions) showProblems(env *env) func([]engine.HostProblem) {
	return func(problems []engine.HostProblem) {
		ui.Problems(env.stderr, ui.NewStyle(env.stderr, o.color(env)), ui.ProblemRows(problems))
	}
}

// warner prints what went wrong without stopping a command.
func warner(env *env) func(error) {
	return func(err error) { fmt.Fprintf(env.stderr, "drover: warning: %s\n", err) }
}
