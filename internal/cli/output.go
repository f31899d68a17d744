package cli

import (
	"fmt"
	"io"
	"os"
	"sync"

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

// bestEffort is a sink for an output of ours that must never stop a
// rollout or leave hosts half switched: the transcripts, the terminal, JSON
// on stdout. Its first error is reported once on warn, then that output is
// dropped; the journal keeps the record.
type bestEffort struct {
	event.Sink
	what string // e.g. "the --log-dir transcripts"
	warn io.Writer

	mu     sync.Mutex
	failed bool
}

// Emit implements event.Sink and never fails; a panic of the output is
// one more of its errors.
func (b *bestEffort) Emit(e event.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed {
		return nil
	}
	if err := b.send(e); err != nil {
		b.failed = true
		fmt.Fprintf(b.warn, "drover: warning: %s stopped, the run goes on without them: %v\n", b.what, err)
	}
	return nil
}

func (b *bestEffort) send(e event.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("internal error: panic: %v", v)
		}
	}()
	return b.Sink.Emit(e)
}

// sinks adds the output of a run to all: --log-dir transcripts, and on
// stdout JSON events, the live board (a terminal with colour) or plain
// lines. The returned func stops and flushes them; spill, when there are
// transcripts, takes the rest of lines too long for an event.
func (o *outputOptions) sinks(env *env, v outputView, all *event.Multi) (stop func(), spill func(host, step, part string), err error) {
	var closers []io.Closer
	display := func(s event.Sink) event.Sink {
		return &bestEffort{Sink: s, what: "the output on stdout", warn: env.stderr}
	}
	if o.LogDir != "" {
		tr, err := journal.NewTranscripts(o.LogDir)
		if err != nil {
			return nil, nil, err
		}
		*all = append(*all, &bestEffort{Sink: tr, what: "the --log-dir transcripts", warn: env.stderr})
		closers = append(closers, tr)
		spill = tr.Spill
	}
	switch {
	case o.JSON:
		*all = append(*all, display(ui.NewJSON(env.stdout)))
	case o.color(env) && isTerminal(env.stdout):
		b := ui.NewBoard(ui.BoardOptions{Out: env.stdout, Style: v.style, Runbook: v.runbook, Hosts: v.hosts,
			Verbose: o.Verbose, Quiet: v.quiet && !o.Verbose})
		*all = append(*all, display(b))
		closers = append([]io.Closer{b}, closers...)
		if v.onBoard != nil {
			v.onBoard(b)
		}
	case !v.quiet || o.Verbose:
		*all = append(*all, display(ui.NewLines(env.stdout, v.style, o.Verbose, v.hosts)))
	}
	return func() {
		for _, c := range closers {
			c.Close()
		}
	}, spill, nil
}
