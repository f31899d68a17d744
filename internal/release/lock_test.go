package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	since = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	alice = Owner{User: "alice", RunID: "run-a", Runbook: "cutover", Message: "it's\tfriday", Time: since}
	bob   = Owner{User: "bob", RunID: "run-b", Runbook: "switchrel", Time: since}
)

func TestLock(t *testing.T) {
	tests := []struct {
		name      string
		held      *Owner // taken before the call
		call      func(t *testing.T, root string) error
		wantOwner string // "" expects no error, else the LockedError owner line
		wantHeld  string // run id holding the lock afterwards, "" for none
	}{
		{name: "take a free lock", wantHeld: "run-a",
			call: func(t *testing.T, root string) error { return Lock(t.Context(), runner, root, alice) }},
		{name: "held by another run", held: &bob, wantHeld: "run-b",
			wantOwner: "2026-11-22T09:30:00Z\trun-b\tbob\tswitchrel\t-",
			call:      func(t *testing.T, root string) error { return Lock(t.Context(), runner, root, alice) }},
		{name: "taking it again in the same run", held: &alice, wantHeld: "run-a",
			call: func(t *testing.T, root string) error { return Lock(t.Context(), runner, root, alice) }},
		{name: "unlock own lock", held: &alice,
			call: func(t *testing.T, root string) error { return Unlock(t.Context(), runner, root, "run-a") }},
		{name: "unlock without a lock",
			call: func(t *testing.T, root string) error { return Unlock(t.Context(), runner, root, "run-a") }},
		{name: "unlock another run's lock", held: &bob, wantHeld: "run-b",
			wantOwner: "2026-11-22T09:30:00Z\trun-b\tbob\tswitchrel\t-",
			call:      func(t *testing.T, root string) error { return Unlock(t.Context(), runner, root, "run-a") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRoot(t)
			if tt.held != nil {
				if err := Lock(t.Context(), runner, root, *tt.held); err != nil {
					t.Fatal(err)
				}
			}
			err := tt.call(t, root)
			var locked *LockedError
			switch {
			case tt.wantOwner == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantOwner != "" && !errors.As(err, &locked):
				t.Fatalf("err = %v, want *LockedError", err)
			case tt.wantOwner != "" && locked.Owner != tt.wantOwner:
				t.Errorf("owner = %q, want %q", locked.Owner, tt.wantOwner)
			}
			st, err := Read(t.Context(), runner, root)
			if err != nil {
				t.Fatal(err)
			}
			var held string
			if st.Lock != nil {
				held = st.Lock.RunID
			}
			if held != tt.wantHeld {
				t.Errorf("lock held by %q, want %q", held, tt.wantHeld)
			}
		})
	}
}

func TestLockedErrorMessage(t *testing.T) {
	tests := []struct {
		name  string
		owner string
		want  string
	}{
		{name: "owner line", owner: alice.line(),
			want: "/srv is locked by alice (run run-a, runbook cutover, since 2026-11-22T09:30:00Z): it's friday"},
		{name: "no owner file", want: "/srv is locked (no owner recorded)"},
		{name: "damaged owner line", owner: "who knows", want: `/srv is locked by "who knows"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := &LockedError{Root: "/srv", Owner: tt.owner}
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLockOwnerRoundTrip(t *testing.T) {
	root := newRoot(t)
	if err := Lock(t.Context(), runner, root, alice); err != nil {
		t.Fatal(err)
	}
	st, err := Read(t.Context(), runner, root)
	if err != nil {
		t.Fatal(err)
	}
	want := alice
	want.Message = "it's friday"
	if st.Lock == nil || st.Lock.Owner != want || st.Lock.Line != alice.line() {
		t.Errorf("lock = %+v, want owner %+v", st.Lock, want)
	}
}

func TestForceUnlock(t *testing.T) {
	tests := []struct {
		name      string
		held      bool
		noOwner   bool // the lock directory without its owner file
		wantOwner string
		wantLine  string // the unlock history line after TIME, "" for none
	}{
		{name: "no lock"},
		{name: "held", held: true, wantOwner: bob.line(),
			wantLine: "-\tcarol\tunlock\t" + bob.line()},
		{name: "lock without owner", held: true, noOwner: true, wantLine: "-\tcarol\tunlock\t-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newRoot(t)
			if tt.held {
				if err := Lock(t.Context(), runner, root, bob); err != nil {
					t.Fatal(err)
				}
			}
			if tt.noOwner {
				os.Remove(filepath.Join(root, ".drover", "lock", "owner"))
			}
			owner, err := ForceUnlock(t.Context(), runner, root, "carol")
			if err != nil {
				t.Fatal(err)
			}
			if owner != tt.wantOwner {
				t.Errorf("owner = %q, want %q", owner, tt.wantOwner)
			}
			if _, err := os.Stat(filepath.Join(root, ".drover", "lock")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("lock still there: %v", err)
			}
			_, line, _ := strings.Cut(strings.TrimSuffix(historyText(t, root), "\n"), "\t")
			if line != tt.wantLine {
				t.Errorf("history = %q, want %q", line, tt.wantLine)
			}
			st, err := Read(t.Context(), runner, root)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantLine != "" && (len(st.History) != 1 || st.History[0].Kind != KindUnlock ||
				st.History[0].User != "carol" || st.History[0].Owner != tt.wantOwner) {
				t.Errorf("history = %+v, want one unlock by carol of %q", st.History, tt.wantOwner)
			}
		})
	}
}

// TestLockRace has several runs take the lock at once: exactly one wins and
// the others see its owner.
func TestLockRace(t *testing.T) {
	root := newRoot(t)
	const runs = 8
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			o := alice
			o.RunID = fmt.Sprintf("run-%d", i)
			errs[i] = Lock(t.Context(), runner, root, o)
		})
	}
	wg.Wait()
	st, err := Read(t.Context(), runner, root)
	if err != nil || st.Lock == nil {
		t.Fatalf("lock = %v, %v", st.Lock, err)
	}
	winners := 0
	for i, err := range errs {
		var locked *LockedError
		switch {
		case err == nil:
			winners++
			if want := fmt.Sprintf("run-%d", i); st.Lock.RunID != want {
				t.Errorf("run-%d won but the lock names %s", i, st.Lock.RunID)
			}
		case !errors.As(err, &locked):
			t.Errorf("run-%d: %v", i, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d runs took the lock, want 1", winners)
	}
}
