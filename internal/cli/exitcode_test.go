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
