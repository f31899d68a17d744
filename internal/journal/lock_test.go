package journal

import (
	"errors"
	"os"
	"testing"
)

// TestLockRunExcludes: while one holder has a run's lock, a second LockRun
// of the same run fails with the holder's pid; after Release it succeeds,
// and another run's lock is independent.
func TestLockRunExcludes(t *testing.T) {
	dir := t.TempDir()
	first, err := LockRun(dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockRun(dir, "r1")
	var locked *RunLockedError
	if !errors.As(err, &locked) || locked.PID != os.Getpid() || locked.Run != "r1" {
		t.Fatalf("second LockRun = %v, want a RunLockedError naming pid %d", err, os.Getpid())
	}
	other, err := LockRun(dir, "r2")
	if err != nil {
		t.Fatalf("LockRun of another run: %v", err)
	}
	other.Release()
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	first.Release() // twice is harmless
	again, err := LockRun(dir, "r1")
	if err != nil {
		t.Fatalf("LockRun after Release: %v", err)
	}
	again.Release()
	if _, err := os.Stat(dir + "/r1.lock"); !os.IsNotExist(err) {
		t.Errorf("the lock file stays after Release: %v", err)
	}
}
