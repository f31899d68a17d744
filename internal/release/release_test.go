package release

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name          string
		setup         func(t *testing.T, root string)
		wantCurrent   string
		wantAvailable []string
	}{
		{name: "root does not exist", setup: func(t *testing.T, root string) {}},
		{name: "releases without current", wantAvailable: []string{"2026-11-21", "2026-11-22"},
			setup: func(t *testing.T, root string) {
				mkRelease(t, root, "2026-11-22")
				mkRelease(t, root, "2026-11-21")
			}},
		{name: "hidden and plain files are not releases", wantAvailable: []string{"A"},
			setup: func(t *testing.T, root string) {
				mkRelease(t, root, "A")
				mkRelease(t, root, ".B.upload")
				writeFile(t, filepath.Join(root, "releases", "notes.txt"))
			}},
		{name: "relative current link", wantCurrent: "A", wantAvailable: []string{"A"},
			setup: func(t *testing.T, root string) {
				mkRelease(t, root, "A")
				symlink(t, "releases/A", filepath.Join(root, "current"))
			}},
		{name: "absolute current link", wantCurrent: "A", wantAvailable: []string{"A"},
			setup: func(t *testing.T, root string) {
				mkRelease(t, root, "A")
				symlink(t, filepath.Join(root, "releases", "A")+"/", filepath.Join(root, "current"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRoot(t)
			tt.setup(t, root)
			st, err := Read(t.Context(), runner, root)
			if err != nil {
				t.Fatal(err)
			}
			if st.Current != tt.wantCurrent || !slices.Equal(st.Available, tt.wantAvailable) {
				t.Errorf("current %q available %q; want %q %q",
					st.Current, st.Available, tt.wantCurrent, tt.wantAvailable)
			}
			if st.Previous != "" || st.History != nil || st.Lock != nil {
				t.Errorf("state = %+v, want no previous, history or lock", st)
			}
		})
	}
}

func writeFile(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestAgreePrevious(t *testing.T) {
	tests := []struct {
		name   string
		states map[string]State
		want   string
		ok     bool
	}{
		{name: "no hosts"},
		{name: "one host", states: map[string]State{"web1": {Previous: "A"}}, want: "A", ok: true},
		{name: "all agree", want: "A", ok: true,
			states: map[string]State{"web1": {Previous: "A"}, "web2": {Previous: "A"}}},
		{name: "disagree",
			states: map[string]State{"web1": {Previous: "A"}, "web2": {Previous: "B"}}},
		{name: "one host has none",
			states: map[string]State{"web1": {Previous: "A"}, "web2": {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AgreePrevious(tt.states)
			if got != tt.want || ok != tt.ok {
				t.Errorf("AgreePrevious = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	st := State{Current: "C", Previous: "B", Available: []string{"A", "B", "C"}}
	gone := State{Current: "C", Previous: "B", Available: []string{"C"}}
	tests := []struct {
		name    string
		st      State
		id      string
		want    string
		wantErr error
	}{
		{name: "named release", st: st, id: "A", want: "A"},
		{name: "current release", st: st, id: "C", want: "C"},
		{name: "previous", st: st, id: Previous, want: "B"},
		{name: "named release missing", st: st, id: "D", wantErr: ErrMissing},
		{name: "previous missing", st: gone, id: Previous, wantErr: ErrMissing},
		{name: "no previous", st: State{Current: "C", Available: []string{"C"}}, id: Previous,
			wantErr: ErrNoPrevious},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.st.Resolve(tt.id)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tt.id, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
