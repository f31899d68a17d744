package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/journal"
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
	return isTerminal(env.stdout)
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

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// lookupEnv tells a variable set to "" from one not set.
func lookupEnv(env *env, name string) (string, bool) {
	if env.lookupEnv != nil {
		return env.lookupEnv(name)
	}
	v := env.getenv(name)
	return v, v != ""
}

// outputView is what the output of one run needs to know.
type outputView struct {
	hosts   []string // targeted hosts, in order
	runbook string
	quiet   bool // the command renders its own result (exec folds); no step lines
	style   *ui.Style
	onBoard func(*ui.Board) // told the live board, when there is one
}

// display is a sink for people or pipes on stdout: a write that fails (the
// reader went away) loses the view, never the rollout; the journal keeps
// the record.
type display struct{ event.Sink }

// Emit implements event.Sink and never fails.
func (d display) Emit(e event.Event) error {
	d.Sink.Emit(e)
	return nil
}

// sinks adds the output of a run to all: --log-dir transcripts, and on
// stdout JSON events, the live board (a terminal with colour) or plain
// lines. The returned func stops and flushes them.
func (o *outputOptions) sinks(env *env, v outputView, all *event.Multi) (func(), error) {
	var closers []io.Closer
	if o.LogDir != "" {
		tr, err := journal.NewTranscripts(o.LogDir)
		if err != nil {
			return nil, err
		}
		*all = append(*all, tr)
		closers = append(closers, tr)
	}
	switch {
	case o.JSON:
		*all = append(*all, display{ui.NewJSON(env.stdout)})
	case o.color(env) && isTerminal(env.stdout):
		b := ui.NewBoard(ui.BoardOptions{Out: env.stdout, Style: v.style, Runbook: v.runbook, Hosts: v.hosts,
			Verbose: o.Verbose, Quiet: v.quiet && !o.Verbose})
		*all = append(*all, display{b})
		closers = append([]io.Closer{b}, closers...)
		if v.onBoard != nil {
			v.onBoard(b)
		}
	case !v.quiet || o.Verbose:
		*all = append(*all, display{ui.NewLines(env.stdout, v.style, o.Verbose, v.hosts)})
	}
	return func() {
		for _, c := range closers {
			c.Close()
		}
	}, nil
}
