package release

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPruneList(t *testing.T) {
	all := []string{"2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"}
	tests := []struct {
		name     string
		current  string
		previous string
		keep     int
		protect  []string
		want     []string
	}{
		{name: "keep all", current: "2026-11-22", keep: 5},
		{name: "keep more than there are", current: "2026-11-22", keep: 9},
		{name: "keep zero prunes nothing", current: "2026-11-22", keep: 0},
		{name: "keep two", current: "2026-11-22", keep: 2,
			want: []string{"2026-11-18", "2026-11-19", "2026-11-20"}},
		{name: "never current or previous", current: "2026-11-19", previous: "2026-11-18", keep: 1,
			want: []string{"2026-11-20", "2026-11-21"}},
		{name: "never protected", current: "2026-11-22", previous: "2026-11-21", keep: 1,
			protect: []string{"2026-11-18"}, want: []string{"2026-11-19", "2026-11-20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := State{Current: tt.current, Previous: tt.previous, Available: all}
			got := pruneList(st, tt.keep, tt.protect)
			if !slices.Equal(got, tt.want) {
				t.Errorf("pruneList = %q, want %q", got, tt.want)
			}
			if len(st.Available) != len(all) || &st.Available[0] != &all[0] {
				t.Errorf("pruneList changed its input")
			}
		})
	}
}

func TestPrune(t *testing.T) {
	root := newRoot(t, "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23")
	ctx := t.Context()
	// the host rolled back from 22 to 19: current is old, its previous
	// older still, and the bad 22 may go
	for i, id := range []string{"2026-11-18", "2026-11-19", "2026-11-22", "2026-11-19"} {
		if _, err := Switch(ctx, runner, root, id, Meta{RunID: "r", Rollback: i == 3}); err != nil {
			t.Fatal(err)
		}
	}
	// a leftover of an interrupted prune
	mkRelease(t, root, ".2026-11-17.pruning")
	removed, err := Prune(ctx, runner, root, 1, "2026-11-21")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2026-11-20", "2026-11-22"}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	entries, err := os.ReadDir(filepath.Join(root, "releases"))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{"2026-11-18", "2026-11-19", "2026-11-21", "2026-11-23"}
	if !slices.Equal(left, want) {
		t.Errorf("releases left: %q, want %q", left, want)
	}
}
