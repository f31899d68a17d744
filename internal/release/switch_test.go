package release

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func readLink(t *testing.T, root string) string {
	t.Helper()
	target, err := os.Readlink(filepath.Join(root, "current"))
	if err != nil {
		t.Fatal(err)
	}
	return target
}

func historyText(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".drover", "history"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

func TestSwitch(t *testing.T) {
	tests := []struct {
		name      string
		releases  []string
		current   string // switched to first, as run "setup"
		to        string
		meta      Meta
		wantFrom  string
		wantErr   error
		wantLink  string
		wantLines []string // history lines after the setup, kind and fields only
	}{
		{name: "first switch", releases: []string{"A"}, to: "A",
			wantLink: "releases/A", wantLines: []string{"switch\t-\tA"}},
		{name: "switch", releases: []string{"A", "B"}, current: "A", to: "B", wantFrom: "A",
			wantLink: "releases/B", wantLines: []string{"switch\tA\tB"}},
		{name: "rollback marks the release left bad", releases: []string{"A", "B"}, current: "B",
			to: "A", meta: Meta{Rollback: true}, wantFrom: "B", wantLink: "releases/A",
			wantLines: []string{"switch\tB\tA", "bad\tB"}},
		{name: "same release changes nothing", releases: []string{"A"}, current: "A", to: "A",
			meta: Meta{Rollback: true}, wantFrom: "A", wantLink: "releases/A"},
		{name: "missing release changes nothing", releases: []string{"A"}, current: "A", to: "B",
			wantErr: ErrMissing, wantLink: "releases/A"},
		{name: "invalid id", releases: []string{"A"}, current: "A", to: "../A",
			wantErr: ErrBadID, wantLink: "releases/A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRoot(t, tt.releases...)
			if tt.current != "" {
				if _, err := Switch(t.Context(), runner, root, tt.current, Meta{RunID: "setup"}); err != nil {
					t.Fatal(err)
				}
			}
			before := historyText(t, root)
			meta := tt.meta
			meta.RunID, meta.User = "run 2", "alice\tsmith"
			from, err := Switch(t.Context(), runner, root, tt.to, meta)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if from != tt.wantFrom {
				t.Errorf("from = %q, want %q", from, tt.wantFrom)
			}
			if got := readLink(t, root); got != tt.wantLink {
				t.Errorf("current -> %q, want %q", got, tt.wantLink)
			}
			var lines []string
			for line := range strings.Lines(strings.TrimPrefix(historyText(t, root), before)) {
				f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
				if f[1] != "run 2" || f[2] != "alice smith" {
					t.Errorf("history line %q: want run id and user of the switch", line)
				}
				lines = append(lines, strings.Join(f[3:], "\t"))
			}
			if !slices.Equal(lines, tt.wantLines) {
				t.Errorf("new history lines = %q, want %q", lines, tt.wantLines)
			}
			assertNoLeftovers(t, root)
		})
	}
}

// assertNoLeftovers fails when a temporary link is left in root, or when a
// quoted root leaked into a command substitution.
func assertNoLeftovers(t *testing.T, root string) {
	t.Helper()
	tmps, _ := filepath.Glob(filepath.Join(root, ".drover-switch.*"))
	if len(tmps) > 0 {
		t.Errorf("temporary links left: %q", tmps)
	}
	if _, err := os.Stat("pwned"); err == nil {
		t.Errorf("the root was run as shell code")
	}
}

// TestSwitchAtomic switches back and forth while a reader watches current:
// it must always see a release, never a missing link.
func TestSwitchAtomic(t *testing.T) {
	root := newRoot(t, "A", "B")
	if _, err := Switch(t.Context(), runner, root, "A", Meta{}); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var reads, misses atomic.Int64
	var readers sync.WaitGroup
	readers.Go(func() {
		link := filepath.Join(root, "current")
		for !stop.Load() {
			target, err := os.Readlink(link)
			if err != nil || (target != "releases/A" && target != "releases/B") {
				misses.Add(1)
			}
			reads.Add(1)
		}
	})
	for i := range 200 {
		to := []string{"B", "A"}[i%2]
		if _, err := Switch(t.Context(), runner, root, to, Meta{RunID: "r"}); err != nil {
			stop.Store(true)
			readers.Wait()
			t.Fatalf("switch %d to %s: %v", i, to, err)
		}
	}
	stop.Store(true)
	readers.Wait()
	if misses.Load() > 0 {
		t.Errorf("%d of %d reads saw no release", misses.Load(), reads.Load())
	}
	if n := strings.Count(historyText(t, root), "\tswitch\t"); n != 201 {
		t.Errorf("history has %d switches, want 201", n)
	}
	assertNoLeftovers(t, root)
}

// TestRollbackSequence runs the DESIGN §6 example on a real tree: after A->B,
// B->C previous is B; after rolling back to it, previous is A, not C.
func TestRollbackSequence(t *testing.T) {
	root := newRoot(t, "A", "B", "C")
	ctx := t.Context()
	for _, id := range []string{"A", "B", "C"} {
		if _, err := Switch(ctx, runner, root, id, Meta{RunID: "deploy-" + id}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Read(ctx, runner, root)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != "C" || st.Previous != "B" {
		t.Fatalf("current, previous = %q, %q; want C, B", st.Current, st.Previous)
	}
	from, err := Switch(ctx, runner, root, st.Previous, Meta{RunID: "oncall", Rollback: true})
	if err != nil || from != "C" {
		t.Fatalf("rollback: from %q, %v", from, err)
	}
	st, err = Read(ctx, runner, root)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != "B" || st.Previous != "A" || !slices.Equal(st.Bad, []string{"C"}) {
		t.Errorf("after rollback: current %q previous %q bad %q; want B, A, [C]",
			st.Current, st.Previous, st.Bad)
	}
}

// TestSwitchOverDirectory refuses to replace a current that is a real
// directory (a host set up before drover) and leaves it as it was.
func TestSwitchOverDirectory(t *testing.T) {
	root := newRoot(t, "A")
	if err := os.MkdirAll(filepath.Join(root, "current", "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Switch(t.Context(), runner, root, "A", Meta{})
	if err == nil || errors.Is(err, ErrMissing) {
		t.Fatalf("err = %v, want a failed rename", err)
	}
	if fi, err := os.Lstat(filepath.Join(root, "current", "app")); err != nil || !fi.IsDir() {
		t.Errorf("current/app: %v", err)
	}
	if h := historyText(t, root); h != "" {
		t.Errorf("history = %q, want none", h)
	}
	assertNoLeftovers(t, root)
}
