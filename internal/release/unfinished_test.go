package release

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestUnfinishedUploadsAreNoReleases leaves what killed uploads leave
// under releases/ (hidden temporary trees, and the visible names older
// versions used): no listing, previous, prune or switch may take them for
// a release.
func TestUnfinishedUploadsAreNoReleases(t *testing.T) {
	leftovers := []string{"r9.drover-tmp.4242", "r9.drover-old.4242", ".r9.drover-tmp.77"}
	root := newRoot(t, append([]string{"r8", "r9"}, leftovers...)...)
	if _, err := Switch(t.Context(), runner, root, "r8", Meta{RunID: "a"}); err != nil {
		t.Fatal(err)
	}
	st, err := Read(t.Context(), runner, root)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Available, []string{"r8", "r9"}) {
		t.Errorf("available = %q, want only r8 r9", st.Available)
	}
	for _, id := range leftovers {
		if _, err := st.Resolve(id); err == nil {
			t.Errorf("Resolve(%q) accepted an unfinished upload", id)
		}
		if _, err := Switch(t.Context(), runner, root, id, Meta{RunID: "b"}); !errors.Is(err, ErrBadID) {
			t.Errorf("Switch(%q) err = %v, want %v", id, err, ErrBadID)
		}
	}
	if got := readLink(t, root); got != "releases/r8" {
		t.Errorf("current -> %s, want releases/r8", got)
	}
	if _, err := Prune(t.Context(), runner, root, 1); err != nil {
		t.Fatal(err)
	}
	for _, id := range leftovers {
		if _, err := os.Stat(filepath.Join(root, "releases", id)); err != nil {
			t.Errorf("prune touched %s: %v (the next upload cleans it)", id, err)
		}
	}
}

// TestHostTextIsSanitized writes escape sequences into the lock owner and
// the history, as a hostile host could: what package release hands on for
// people carries them as visible text only.
func TestHostTextIsSanitized(t *testing.T) {
	root := newRoot(t, "A", "B")
	evil := "\x1b]52;c;aGVsbG8=\a\x1b[2K\r"
	lock := filepath.Join(root, ".drover", "lock")
	if err := os.MkdirAll(lock, 0o755); err != nil {
		t.Fatal(err)
	}
	owner := "2026-01-01T00:00:00Z\tother\tmallory" + evil + "\tcutover\tmsg" + evil + "\n"
	if err := os.WriteFile(filepath.Join(lock, "owner"), []byte(owner), 0o644); err != nil {
		t.Fatal(err)
	}
	hist := "2026-01-01T00:00:00Z\trun" + evil + "\tu" + evil + "\tswitch\t-\tA\n"
	if err := os.WriteFile(filepath.Join(root, ".drover", "history"), []byte(hist), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Lock(t.Context(), runner, root, Owner{RunID: "mine"})
	st, rerr := Read(t.Context(), runner, root)
	if rerr != nil || err == nil {
		t.Fatalf("read: %v; lock: %v (want locked)", rerr, err)
	}
	texts := []string{err.Error(), st.Lock.Line, st.Lock.Owner.String()}
	for _, e := range st.History {
		texts = append(texts, e.RunID, e.User)
	}
	for _, s := range texts {
		if strings.ContainsAny(s, "\x1b\a\r") {
			t.Errorf("raw control character in %q", s)
		}
	}
	if !strings.Contains(err.Error(), `mallory\x1b]52;c;aGVsbG8=\x07`) {
		t.Errorf("lock error %q does not show the owner's escapes as text", err)
	}
}
