package release

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// busyboxRunner runs scripts the way a BusyBox host does: sh is BusyBox
// ash and PATH holds only BusyBox applets.
type busyboxRunner struct{ path string }

func (b busyboxRunner) Run(ctx context.Context, script string) ([]byte, error) {
	inner := "PATH=" + Quote(b.path) + "; export PATH; exec sh -c " + Quote(script)
	return ConnRunner{Conn: execConn{}}.Run(ctx, inner)
}

// busyboxPath returns a directory of BusyBox applets (busybox --install).
// Without busybox the test skips, and fails under CI=true.
func busyboxPath(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("busybox")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI: needs busybox: %v", err)
		}
		t.Skipf("needs busybox: %v", err)
	}
	dir := t.TempDir()
	if out, err := exec.Command(bin, "--install", "-s", dir).CombinedOutput(); err != nil {
		t.Fatalf("busybox --install: %v\n%s", err, out)
	}
	return dir
}

// noTMv replaces the applet mv with one that refuses -T, as BusyBox
// builds before 1.25 and minimal configurations do; the real BusyBox mv
// does the rest.
func noTMv(t *testing.T, dir string) {
	t.Helper()
	bin, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal(err)
	}
	mv := filepath.Join(dir, "mv")
	if err := os.Remove(mv); err != nil {
		t.Fatal(err)
	}
	script := "#!" + filepath.Join(dir, "sh") + "\nfor a; do case $a in --) break;; -*T*) " +
		"echo \"mv: unrecognized option: T\" >&2; exit 1;; esac; done\nexec " + Quote(bin) + " mv \"$@\"\n"
	if err := os.WriteFile(mv, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// busyboxRunners are the BusyBox hosts the tests run on: the installed
// BusyBox, and the same with an mv that has no -T.
func busyboxRunners(t *testing.T) map[string]Runner {
	t.Helper()
	plain := busyboxPath(t)
	old := busyboxPath(t)
	noTMv(t, old)
	return map[string]Runner{"busybox": busyboxRunner{plain}, "busybox mv without -T": busyboxRunner{old}}
}

func TestBusyboxShellIsBusybox(t *testing.T) {
	for name, r := range busyboxRunners(t) {
		t.Run(name, func(t *testing.T) {
			out, err := r.Run(t.Context(), `readlink /proc/$$/exe; command -v mv; mv -T /nonexistent /x 2>&1; true`)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(out), "\n")
			if !strings.HasSuffix(lines[0], "busybox") {
				t.Errorf("sh is %q, want busybox", lines[0])
			}
			if noT := strings.Contains(string(out), "unrecognized option"); noT != strings.Contains(name, "without") {
				t.Errorf("mv -T answered %q", out)
			}
		})
	}
}

// TestBusyboxReleaseCycle runs every release operation on a BusyBox host:
// switches, previous, a rollback, prune, lock, unlock and force unlock.
func TestBusyboxReleaseCycle(t *testing.T) {
	for name, r := range busyboxRunners(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			root := newRoot(t, "A", "B", "C", "D")
			for _, id := range []string{"A", "B", "C", "D"} {
				if _, err := Switch(ctx, r, root, id, Meta{RunID: "deploy-" + id, User: "u"}); err != nil {
					t.Fatalf("switch to %s: %v", id, err)
				}
			}
			if got := readLink(t, root); got != "releases/D" {
				t.Fatalf("current -> %q, want releases/D", got)
			}
			from, err := Switch(ctx, r, root, wantPrevious(t, r, root, "C"), Meta{RunID: "oncall", Rollback: true})
			if err != nil || from != "D" {
				t.Fatalf("rollback: from %q, %v", from, err)
			}
			st := mustRead(t, r, root)
			if st.Current != "C" || st.Previous != "B" || !slices.Equal(st.Bad, []string{"D"}) {
				t.Errorf("after rollback: current %q previous %q bad %q; want C, B, [D]", st.Current, st.Previous, st.Bad)
			}
			removed, err := Prune(ctx, r, root, 1)
			if err != nil || !slices.Equal(removed, []string{"A"}) {
				t.Errorf("prune keep 1: removed %q, %v; want A (B is previous, C current, D newest)", removed, err)
			}
			if got := mustRead(t, r, root).Available; !slices.Equal(got, []string{"B", "C", "D"}) {
				t.Errorf("after prune: %q", got)
			}
			busyboxLocks(t, r, root)
			assertNoLeftovers(t, root)
		})
	}
}

// wantPrevious reads root's previous release and checks it is want.
func wantPrevious(t *testing.T, r Runner, root, want string) string {
	t.Helper()
	if st := mustRead(t, r, root); st.Previous != want {
		t.Fatalf("previous = %q, want %q", st.Previous, want)
	}
	return want
}

func mustRead(t *testing.T, r Runner, root string) State {
	t.Helper()
	st, err := Read(t.Context(), r, root)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// busyboxLocks takes, refuses, releases and forces the lock under root.
func busyboxLocks(t *testing.T, r Runner, root string) {
	t.Helper()
	ctx := t.Context()
	if err := Lock(ctx, r, root, Owner{RunID: "one", User: "alice"}); err != nil {
		t.Fatalf("lock: %v", err)
	}
	var locked *LockedError
	err := Lock(ctx, r, root, Owner{RunID: "two", User: "bob"})
	if !errors.As(err, &locked) || !strings.Contains(locked.Owner, "alice") {
		t.Errorf("second lock: %v, want locked by alice", err)
	}
	if st := mustRead(t, r, root); st.Lock == nil || st.Lock.RunID != "one" {
		t.Errorf("read lock = %+v, want run one", st.Lock)
	}
	if err := Unlock(ctx, r, root, "one"); err != nil {
		t.Errorf("unlock: %v", err)
	}
	if err := Lock(ctx, r, root, Owner{RunID: "three", User: "carol"}); err != nil {
		t.Fatalf("lock again: %v", err)
	}
	owner, err := ForceUnlock(ctx, r, root, "oncall")
	if err != nil || !strings.Contains(owner, "carol") {
		t.Errorf("force unlock: owner %q, %v", owner, err)
	}
	if st := mustRead(t, r, root); st.Lock != nil || !strings.Contains(historyText(t, root), "\tunlock\t") {
		t.Errorf("after force unlock: lock %+v, history %q", st.Lock, historyText(t, root))
	}
}

// TestBusyboxSwitchAtomic switches back and forth with BusyBox tools while
// a reader watches current: it must always see a release.
func TestBusyboxSwitchAtomic(t *testing.T) {
	for name, r := range busyboxRunners(t) {
		t.Run(name, func(t *testing.T) {
			root := newRoot(t, "A", "B")
			if _, err := Switch(t.Context(), r, root, "A", Meta{}); err != nil {
				t.Fatal(err)
			}
			var stop atomic.Bool
			var reads, misses atomic.Int64
			var readers sync.WaitGroup
			readers.Go(func() {
				for !stop.Load() {
					target, err := os.Readlink(filepath.Join(root, "current"))
					if err != nil || (target != "releases/A" && target != "releases/B") {
						misses.Add(1)
					}
					reads.Add(1)
				}
			})
			for i := range 100 {
				if _, err := Switch(t.Context(), r, root, []string{"B", "A"}[i%2], Meta{RunID: "r"}); err != nil {
					stop.Store(true)
					readers.Wait()
					t.Fatalf("switch %d: %v", i, err)
				}
			}
			stop.Store(true)
			readers.Wait()
			if misses.Load() > 0 || reads.Load() == 0 {
				t.Errorf("%d of %d reads saw no release", misses.Load(), reads.Load())
			}
			for _, rel := range []string{"A", "B"} {
				if n, _ := os.ReadDir(filepath.Join(root, "releases", rel)); len(n) != 0 {
					t.Errorf("releases/%s holds %v: a link went into the release", rel, n)
				}
			}
			assertNoLeftovers(t, root)
		})
	}
}

// TestBusyboxSwitchOverDirectory: a real directory at current stays.
func TestBusyboxSwitchOverDirectory(t *testing.T) {
	for name, r := range busyboxRunners(t) {
		t.Run(name, func(t *testing.T) {
			root := newRoot(t, "A")
			if err := os.MkdirAll(filepath.Join(root, "current", "app"), 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := Switch(t.Context(), r, root, "A", Meta{}); err == nil {
				t.Fatal("switch over a directory succeeded")
			}
			if n, err := os.ReadDir(filepath.Join(root, "current")); err != nil || len(n) != 1 {
				t.Errorf("current/ holds %v (%v), want only app", n, err)
			}
			if st := mustRead(t, r, root); len(st.History) != 0 {
				t.Errorf("history = %+v, want the switch withdrawn", st.History)
			}
			assertNoLeftovers(t, root)
		})
	}
}
