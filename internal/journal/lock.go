package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// RunLock is a run's local lock: the file DIR/<run-id>.lock, held with
// flock(2) by the one drover that writes the run's journal, from before its
// first host is touched until the run is over. Two drovers resuming the same
// run would both pass the farm lock (it is the same run); this lock stops
// the second. The kernel drops a flock when its process dies, so a killed
// drover never leaves a stale run lock.
type RunLock struct {
	f    *os.File
	path string
}

// RunLockedError is returned by LockRun when another process holds the
// run's lock. PID is 0 when the holder's pid could not be read.
type RunLockedError struct {
	Run string
	PID int
}

func (e *RunLockedError) Error() string {
	holder := "pid unknown"
	if e.PID > 0 {
		holder = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("run %s is in progress in another drover (%s)", e.Run, holder)
}

// LockRun takes the lock of run id in dir, without waiting: when another
// drover holds it, the error is a *RunLockedError naming that drover's pid.
func LockRun(dir, id string) (*RunLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create journal directory: %w", err)
	}
	path := filepath.Join(dir, id+".lock")
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lock run %s: %w", id, err)
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := readPID(f)
			f.Close()
			return nil, &RunLockedError{Run: id, PID: pid}
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock run %s: %w", id, err)
		}
		if isFile(f, path) {
			return writePID(&RunLock{f: f, path: path})
		}
		// The holder removed the file between our open and our flock:
		// this lock is on a file nobody else will open. Try again.
		f.Close()
	}
}

// isFile reports whether f is still the file at path.
func isFile(f *os.File, path string) bool {
	a, errA := f.Stat()
	b, errB := os.Stat(path)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

func writePID(l *RunLock) (*RunLock, error) {
	err := l.f.Truncate(0)
	if err == nil {
		_, err = l.f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		l.Release()
		return nil, fmt.Errorf("lock run: write %s: %w", l.path, err)
	}
	return l, nil
}

func readPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	if err != nil {
		return 0
	}
	return pid
}

// Release removes the lock file and drops the lock. The file goes first,
// while the lock is still held, so a drover starting now either finds the
// lock held or creates a fresh file. Release may be called more than once.
func (l *RunLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	os.Remove(l.path)
	err := l.f.Close()
	l.f = nil
	return err
}

// GoingRuns returns the runs in dir that a drover on this machine holds
// the lock of, each with that drover's pid (0 when unknown). It creates
// and locks nothing.
func GoingRuns(dir string) map[string]int {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.lock"))
	going := map[string]int{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
			going[strings.TrimSuffix(filepath.Base(p), ".lock")] = readPID(f)
		}
		f.Close() // drops the shared lock when it was taken
	}
	return going
}
