package cli

import (
	"io"
	"os"

	"github.com/drover-sh/drover/internal/target"
	"github.com/drover-sh/drover/internal/ui"
)

// env is what a command may use of the process: stdio and the environment.
// Tests replace getenv.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	lookupEnv      func(string) (string, bool)
	term           *ui.Terminal
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	return &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, lookupEnv: os.LookupEnv, term: ui.NewTerminal(stdin, stderr)}
}

// target is what package target may use of the process.
func (e *env) target() target.Env {
	return target.Env{Getenv: e.getenv, LookupEnv: e.lookupEnv, Term: e.term}
}
