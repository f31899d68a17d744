package cli

import (
	"io"
	"os"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/drover-sh/drover/internal/ui"
)

// outputOptions are the output flags every command that touches hosts has.
type outputOptions struct {
	Verbose bool
	JSON    bool
	LogDir  string
	NoColor bool
}

func (o *outputOptions) register(fs *pflag.FlagSet) {
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "stream every output line, host-prefixed")
	fs.BoolVar(&o.JSON, "json", false, "events as JSON lines on stdout")
	fs.StringVar(&o.LogDir, "log-dir", "", "write a full, redacted transcript per host into this directory")
	fs.BoolVar(&o.NoColor, "no-color", false, "no colour (also when NO_COLOR is set)")
}

// color reports whether stdout gets colour: a terminal, no --no-color, no
// NO_COLOR (set to any value), no --json.
func (o *outputOptions) color(env *env) bool {
	if o.NoColor || o.JSON {
		return false
	}
	if _, set := lookupEnv(env, "NO_COLOR"); set {
		return false
	}
	return isTerminal(env.stdout)
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
