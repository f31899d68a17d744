package release

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// prefixRunner runs prefix before every script, to set up a fault.
type prefixRunner struct {
	Runner
	prefix string
}

func (p prefixRunner) Run(ctx context.Context, script string) ([]byte, error) {
	return p.Runner.Run(ctx, p.prefix+"\n"+script)
}

// shimMv puts an mv first on PATH that runs body (with the real mv as
// $real) instead of the real one.
func shimMv(t *testing.T, body string) {
	t.Helper()
	real, err := exec.LookPath("mv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nreal=" + Quote(real) + "\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "mv"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
}

// switchEntries are the switches of run in root's history.
func switchEntries(t *testing.T, root, run string) []Entry {
	t.Helper()
	st, err := Read(t.Context(), runner, root)
	if err != nil {
		t.Fatal(err)
	}
	var out []Entry
	for _, e := range st.History {
		if e.Kind == KindSwitch && e.RunID == run {
			out = append(out, e)
		}
	}
	return out
}

// TestSwitchHistoryFull makes the history append fail (a file size limit
// the history is already at, as on a full disk): the host must not be
// switched, or an undo would not know it was.
func TestSwitchHistoryFull(t *testing.T) {
	root := newRoot(t, "A", "B")
	if _, err := Switch(t.Context(), runner, root, "A", Meta{RunID: "setup"}); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(root, ".drover", "history")
	line := "2026-01-01T00:00:00Z\told\tu\tswitch\t-\tA\n"
	if err := os.WriteFile(hist, []byte(strings.Repeat(line, 2048/len(line)+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	full := prefixRunner{runner, "trap '' XFSZ; ulimit -f 1"} // 512 bytes: every append fails
	_, err := Switch(t.Context(), full, root, "B", Meta{RunID: "mine", Rollback: true})
	got := readLink(t, root)
	if err == nil {
		t.Fatalf("switch with a full history succeeded (current -> %s)", got)
	}
	if got != "releases/A" {
		t.Fatalf("the history could not be written, yet current moved to %s: an undo would not know", got)
	}
}

// TestSwitchKilledAfterRename ends the switch script right after current
// moved (a session cut, drover killed): the history must already say where
// the host came from, so an undo puts it back.
func TestSwitchKilledAfterRename(t *testing.T) {
	root := newRoot(t, "A", "B")
	if _, err := Switch(t.Context(), runner, root, "A", Meta{RunID: "setup"}); err != nil {
		t.Fatal(err)
	}
	shimMv(t, `"$real" "$@"; st=$?; case "$*" in */current*) kill -9 $PPID;; esac; exit $st`)
	if _, err := Switch(t.Context(), runner, root, "B", Meta{RunID: "mine"}); err == nil {
		t.Fatal("switch killed after the rename reported success")
	}
	if got := readLink(t, root); got != "releases/B" {
		t.Fatalf("current -> %s, want releases/B (the rename happened)", got)
	}
	e := switchEntries(t, root, "mine")
	if len(e) != 1 || e[0].From != "A" || e[0].To != "B" {
		t.Fatalf("switches of the run = %+v, want A -> B recorded", e)
	}
}

// TestSwitchMoveFails makes the rename over current fail after the record
// was written: the record is withdrawn, so the history tells no switch
// that did not happen, and the rollback's bad mark goes with it.
func TestSwitchMoveFails(t *testing.T) {
	root := newRoot(t, "A", "B")
	if _, err := Switch(t.Context(), runner, root, "B", Meta{RunID: "setup"}); err != nil {
		t.Fatal(err)
	}
	shimMv(t, `case "$*" in */current*) echo "mv: cannot move" >&2; exit 1;; esac; exec "$real" "$@"`)
	if _, err := Switch(t.Context(), runner, root, "A", Meta{RunID: "mine", Rollback: true}); err == nil {
		t.Fatal("switch whose rename failed reported success")
	}
	if got := readLink(t, root); got != "releases/B" {
		t.Fatalf("current -> %s, want releases/B", got)
	}
	if e := switchEntries(t, root, "mine"); len(e) != 0 {
		t.Errorf("switches of the run = %+v, want none", e)
	}
	st, err := Read(t.Context(), runner, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Bad) != 0 {
		t.Errorf("bad = %q, want none: the rollback did not happen", st.Bad)
	}
	if h := historyText(t, root); !strings.Contains(h, "\tundone\tB\tA\n") {
		t.Errorf("history = %q, want the undone line kept as audit trail", h)
	}
	assertNoLeftovers(t, root)
}

// TestSwitchFencesTornLine leaves a history whose last line was cut short
// (a write stopped by a full disk): the next record must still be read.
func TestSwitchFencesTornLine(t *testing.T) {
	root := newRoot(t, "A", "B")
	if _, err := Switch(t.Context(), runner, root, "A", Meta{RunID: "setup"}); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(root, ".drover", "history")
	f, err := os.OpenFile(hist, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("2026-01-01T00:00:00Z\ttorn\tu\tswi")
	f.Close()
	if _, err := Switch(t.Context(), runner, root, "B", Meta{RunID: "mine"}); err != nil {
		t.Fatal(err)
	}
	if e := switchEntries(t, root, "mine"); len(e) != 1 || e[0].From != "A" {
		t.Fatalf("switches of the run = %+v, want A -> B after the torn line", e)
	}
}
