package release

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/transport"
)

// farm returns one connection per host name, each running its scripts in
// a directory of its own, where the relative root "app" has releases.
func farm(t *testing.T, names []string, releases ...string) map[string]transport.Conn {
	t.Helper()
	conns := map[string]transport.Conn{}
	for _, n := range names {
		dir := filepath.Join(t.TempDir(), n)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, id := range releases {
			mkRelease(t, filepath.Join(dir, "app"), id)
		}
		conns[n] = execConn{dir: dir}
	}
	return conns
}

func lockOf(t *testing.T, conn transport.Conn) *LockInfo {
	t.Helper()
	st, err := Read(t.Context(), ConnRunner{Conn: conn}, "app")
	if err != nil {
		t.Fatal(err)
	}
	return st.Lock
}

func TestFarmLockTakeRelease(t *testing.T) {
	names := []string{"web01", "web02", "web03"}
	conns := farm(t, names)
	fl := NewFarmLock("app", alice)
	if err := fl.Take(t.Context(), append(names, "unreachable"), conns); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if l := lockOf(t, conns[n]); l == nil || l.RunID != alice.RunID {
			t.Errorf("%s: lock %v, want run %s", n, l, alice.RunID)
		}
	}
	if errs := fl.Release(t.Context()); len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, n := range names {
		if l := lockOf(t, conns[n]); l != nil {
			t.Errorf("%s still locked after Release: %v", n, l)
		}
	}
}

// TestFarmLockHeldElsewhere: another run's lock on one host fails Take
// with *LockedError naming that host; Release frees what Take took and
// leaves the other run's lock alone.
func TestFarmLockHeldElsewhere(t *testing.T) {
	names := []string{"web01", "web02", "web03"}
	conns := farm(t, names)
	bob := alice
	bob.RunID = "other-run"
	if err := Lock(t.Context(), ConnRunner{Conn: conns["web02"]}, "app", bob); err != nil {
		t.Fatal(err)
	}
	fl := NewFarmLock("app", alice)
	err := fl.Take(t.Context(), names, conns)
	var locked *LockedError
	if !errors.As(err, &locked) || !strings.HasPrefix(err.Error(), "web02: ") {
		t.Fatalf("Take = %v, want web02's *LockedError", err)
	}
	fl.Release(t.Context())
	for _, n := range names {
		l := lockOf(t, conns[n])
		switch {
		case n == "web02" && (l == nil || l.RunID != bob.RunID):
			t.Errorf("web02: lock %v, want the other run's", l)
		case n != "web02" && l != nil:
			t.Errorf("%s: still locked: %v", n, l)
		}
	}
}

// panicConn panics when a session is opened.
type panicConn struct{ execConn }

func (panicConn) NewSession(context.Context) (transport.Session, error) { panic("broken conn") }

// TestFarmLockPanic: a panic in one host's lock attempt is that host's
// error, and the first host's lock, taken before, is released.
func TestFarmLockPanic(t *testing.T) {
	conns := farm(t, []string{"web01"})
	conns["web02"] = panicConn{}
	fl := NewFarmLock("app", alice)
	err := fl.Take(t.Context(), []string{"web01", "web02"}, conns)
	if err == nil || !strings.Contains(err.Error(), "web02: lock panicked: broken conn") {
		t.Fatalf("Take = %v, want web02's panic", err)
	}
	fl.Release(t.Context())
	if l := lockOf(t, conns["web01"]); l != nil {
		t.Errorf("web01 still locked: %v", l)
	}
}

func TestCheckSwitch(t *testing.T) {
	withPrev := func(prev string, avail ...string) State {
		return State{Current: "C", Previous: prev, Available: append(avail, "C")}
	}
	tests := []struct {
		name    string
		states  map[string]State
		id      string
		perHost bool
		want    error
		missing []string
	}{
		{"named release everywhere", map[string]State{"a": withPrev("", "B"), "b": withPrev("", "B")}, "B", false, nil, nil},
		{"named release missing", map[string]State{"a": withPrev("", "B"), "b": withPrev(""), "c": withPrev("")}, "B", false, &MissingError{}, []string{"b", "c"}},
		{"previous agreed", map[string]State{"a": withPrev("B", "B"), "b": withPrev("B", "B")}, Previous, false, nil, nil},
		{"previous not on disk", map[string]State{"a": withPrev("B", "B"), "b": withPrev("B")}, Previous, false, &MissingError{}, []string{"b"}},
		{"no previous", map[string]State{"a": withPrev("")}, Previous, false, &MissingError{}, []string{"a"}},
		{"previous disagrees", map[string]State{"a": withPrev("A", "A"), "b": withPrev("B", "B")}, Previous, false, ErrDisagree, nil},
		{"previous per host", map[string]State{"a": withPrev("A", "A"), "b": withPrev("B", "B")}, Previous, true, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSwitch(tt.states, tt.id, tt.perHost)
			var me *MissingError
			switch {
			case tt.want == nil && err != nil, tt.want == ErrDisagree && !errors.Is(err, ErrDisagree):
				t.Fatalf("CheckSwitch = %v, want %v", err, tt.want)
			case tt.missing != nil && (!errors.As(err, &me) || strings.Join(me.Hosts, ",") != strings.Join(tt.missing, ",")):
				t.Fatalf("CheckSwitch = %v, want missing %v", err, tt.missing)
			}
		})
	}
}

// TestSwitcherPreviousInRun: within one run, "previous" goes back to what
// the host ran before the run switched it, however often it is asked, and
// a host the run tried and failed to switch is left as it is.
func TestSwitcherPreviousInRun(t *testing.T) {
	conns := farm(t, []string{"web01", "web02"}, "A", "B")
	ctx := t.Context()
	setup := NewSwitcher("app", 0, "setup", "alice")
	for _, c := range conns {
		if _, err := setup.Switch(ctx, "h", c, "A"); err != nil {
			t.Fatal(err)
		}
	}
	s := NewSwitcher("app", 0, "run-1", "alice")
	if note, err := s.Switch(ctx, "web01", conns["web01"], "B"); err != nil || note != "A -> B" {
		t.Fatalf("switch web01 = %q, %v", note, err)
	}
	if _, err := s.Switch(ctx, "web02", conns["web02"], "missing"); !errors.Is(err, ErrMissing) {
		t.Fatalf("switch web02 to a missing release = %v, want ErrMissing", err)
	}
	for range 2 {
		if note, err := s.Switch(ctx, "web01", conns["web01"], Previous); err != nil || (note != "B -> A" && note != "A already") {
			t.Fatalf("previous on web01 = %q, %v", note, err)
		}
	}
	note, err := s.Switch(ctx, "web02", conns["web02"], Previous)
	if err != nil || note != "not switched by this run: left as it is" {
		t.Fatalf("previous on web02 = %q, %v", note, err)
	}
	if cur := readLink(t, filepath.Join(conns["web01"].(execConn).dir, "app")); cur != "releases/A" {
		t.Errorf("web01 runs %s, want releases/A", cur)
	}
}
