package cli

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/creack/pty"

	"github.com/drover-sh/drover/internal/rollout"
	"github.com/drover-sh/drover/internal/ui"
)

// TestOutputSinks checks which renderer a run's stdout gets: the live board
// only on a terminal with colour, plain lines otherwise, JSON with --json.
func TestOutputSinks(t *testing.T) {
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptm.Close()
	defer tty.Close()
	go io.Copy(io.Discard, ptm) // drains the terminal; ends when ptm is closed
	tests := []struct {
		name   string
		stdout io.Writer
		opts   outputOptions
		env    map[string]string
		quiet  bool
		want   string // the stdout sink's type, "" for none
	}{
		{"terminal", tty, outputOptions{}, nil, false, "*ui.Board"},
		{"terminal, -v", tty, outputOptions{Verbose: true}, nil, false, "*ui.Board"},
		{"terminal, exec folds", tty, outputOptions{}, nil, true, "*ui.Board"},
		{"terminal, NO_COLOR empty", tty, outputOptions{}, map[string]string{"NO_COLOR": ""}, false, "*ui.Board"},
		{"terminal, NO_COLOR set", tty, outputOptions{}, map[string]string{"NO_COLOR": "1"}, false, "*ui.Lines"},
		{"terminal, --color never", tty, outputOptions{Color: "never"}, nil, false, "*ui.Lines"},
		{"pipe, --color always", &bytes.Buffer{}, outputOptions{Color: "always"}, nil, false, "*ui.Lines"},
		{"terminal, --no-color", tty, outputOptions{NoColor: true}, nil, false, "*ui.Lines"},
		{"terminal, --json", tty, outputOptions{JSON: true}, nil, false, "*ui.JSON"},
		{"pipe", &bytes.Buffer{}, outputOptions{}, nil, false, "*ui.Lines"},
		{"pipe, exec folds", &bytes.Buffer{}, outputOptions{}, nil, true, ""},
		{"pipe, exec folds, -v", &bytes.Buffer{}, outputOptions{Verbose: true}, nil, true, "*ui.Lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{stdout: tt.stdout, stderr: io.Discard, getenv: func(k string) string { return tt.env[k] },
				lookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }}
			d := tt.opts.display(e, rollout.View{Hosts: []string{"web01"}, Runbook: "cutover"}, tt.quiet)
			if b, ok := d.(*ui.Board); ok {
				defer b.Close()
			}
			got := ""
			if d != nil {
				got = fmt.Sprintf("%T", d)
			}
			if got != tt.want {
				t.Errorf("stdout sink = %q, want %q", got, tt.want)
			}
			if tt.want == "*ui.Lines" && tt.opts.style(e).Color != (tt.opts.Color == "always") {
				t.Errorf("plain lines with colour")
			}
		})
	}
}
