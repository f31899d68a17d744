package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/rollout"
)

// TestExitCode maps each kind of outcome to its documented code.
func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"failed run", failure(errSilent), 1},
		{"panic", failure(&engine.PanicError{Value: "x"}), 1},
		{"usage", usageErr(errors.New("--set x")), 2},
		{"refused", refused(errors.New("host key unknown")), 2},
		{"unclassified", errors.New("create journal"), 2},
		{"aborted", aborted(errSilent), 3},
		{"locked", locked(errors.New("held")), 4},
		{"interrupted", interrupted(canceled()), 130},
		{"bare cancel", fmt.Errorf("dial: %w", context.Canceled), 130},
		{"outermost wins", failure(fmt.Errorf("read: %w", interrupted(canceled()))), 1},
		{"wrapped", fmt.Errorf("run: %w", locked(errors.New("held"))), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.err); got != tt.want {
				t.Fatalf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// TestClassify maps each Kind of rollout error to its exit code, and leaves
// other errors alone.
func TestClassify(t *testing.T) {
	tests := []struct {
		kind rollout.Kind
		want int
	}{
		{rollout.Failed, 1},
		{rollout.Quit, 3},
		{rollout.Interrupted, 130},
		{rollout.Invalid, 2},
		{rollout.Refused, 2},
		{rollout.Locked, 4},
	}
	for _, tt := range tests {
		err := fmt.Errorf("run: %w", &rollout.Error{Kind: tt.kind, Err: errors.New("x")})
		if got := exitCode(classify(err)); got != tt.want {
			t.Errorf("kind %d: exit code %d, want %d", tt.kind, got, tt.want)
		}
	}
	plain := failure(errors.New("read"))
	if got := classify(plain); got != plain {
		t.Errorf("classify(%v) = %v, want it unchanged", plain, got)
	}
	if classify(nil) != nil {
		t.Errorf("classify(nil) is not nil")
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestEveryExitCodeHasAScript checks that each exit code --help lists is
// asserted by at least one script of testdata/script, so every documented
// outcome is walked as a person meets it.
func TestEveryExitCodeHasAScript(t *testing.T) {
	codes := regexp.MustCompile(`(?m)^  (\d+) `).FindAllStringSubmatch(exitCodesHelp, -1)
	if len(codes) != 6 {
		t.Fatalf("exitCodesHelp lists %d codes, want 6", len(codes))
	}
	files, err := filepath.Glob(filepath.Join("testdata", "script", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, c := range codes {
		if !regexp.MustCompile(`(?m)^exitcode ` + c[1] + `$`).MatchString(all.String()) {
			t.Errorf("exit code %s: no script asserts it with exitcode %s", c[1], c[1])
		}
	}
}

// TestExitCodesHelpMatchesREADME: the exit codes in every --help say what
// the README's table says, word for word.
func TestExitCodesHelpMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, "`", "")), " ") }
	help := map[string]string{}
	code := ""
	for _, line := range strings.Split(exitCodesHelp, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
			code = f[0]
			line = strings.TrimPrefix(strings.TrimSpace(line), code)
		}
		help[code] += " " + line
	}
	rows := regexp.MustCompile("(?m)^\\| ([0-9]+) \\| (.*) \\|$").FindAllStringSubmatch(string(readme), -1)
	if len(rows) != len(help) {
		t.Fatalf("README lists %d exit codes, --help %d", len(rows), len(help))
	}
	for _, r := range rows {
		if got, want := norm(help[r[1]]), norm(r[2]); got != want {
			t.Errorf("exit %s:\n --help: %s\n README: %s", r[1], got, want)
		}
	}
}
