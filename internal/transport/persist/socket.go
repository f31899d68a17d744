package persist

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Dir is the keeper's directory for this user: $XDG_RUNTIME_DIR/drover,
// or drover-UID in the temporary directory when that is not set.
func Dir(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "drover")
	}
	return filepath.Join(os.TempDir(), "drover-"+strconv.Itoa(os.Getuid()))
}

// socketPath and lockPath are the keeper's socket and the lock that makes
// it the only one.
func socketPath(dir string) string { return filepath.Join(dir, "persist.sock") }
func lockPath(dir string) string   { return filepath.Join(dir, "persist.lock") }

// Check makes the keeper's directory dir if it does not exist and refuses
// one that is not private to this user (see privateDir).
func Check(dir string) error { return privateDir(dir) }

// privateDir makes dir (mode 0700) if it does not exist, and refuses one
// that another user owns or others may enter: whoever can reach the socket
// gets sessions on the kept connections.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("persist: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("persist: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	switch {
	case !st.IsDir():
		return fmt.Errorf("persist: %s is not a directory", dir)
	case !ok || int(sys.Uid) != os.Getuid():
		return fmt.Errorf("persist: %s belongs to another user", dir)
	case st.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("persist: %s may be entered by others (mode %04o, want 0700)", dir, st.Mode().Perm())
	}
	return nil
}

// dialSocket connects to the keeper of dir, if one runs.
func dialSocket(ctx context.Context, dir string) (*wire, error) {
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", socketPath(dir))
	if err != nil {
		return nil, err
	}
	return newWire(c.(*net.UnixConn)), nil
}

// startWait is how long a command waits for a keeper it started to listen.
const startWait = 5 * time.Second

// connectOrStart connects to the keeper of dir, starting it first (the
// command start) when none listens.
func connectOrStart(ctx context.Context, dir string, start []string) (*wire, error) {
	w, err := dialSocket(ctx, dir)
	if err == nil {
		return w, nil
	}
	if (!errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ECONNREFUSED)) || len(start) == 0 {
		return nil, fmt.Errorf("persist: no connection keeper at %s: %w", socketPath(dir), err)
	}
	cmd := exec.Command(start[0], start[1:]...)
	cmd.Args[0] = "drover" // what ps shows
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("persist: start the connection keeper: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.NewTimer(startWait)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if w, err := dialSocket(ctx, dir); err == nil {
			return w, nil
		}
		select {
		case err := <-exited:
			// Another command's keeper may have won the lock.
			if w, derr := dialSocket(ctx, dir); derr == nil {
				return w, nil
			}
			return nil, fmt.Errorf("persist: the connection keeper exited: %v", err)
		case <-deadline.C:
			return nil, fmt.Errorf("persist: the connection keeper did not listen on %s within %s", socketPath(dir), startWait)
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-tick.C:
		}
	}
}

// Disconnect ends the keeper of dir now, closing every connection it
// holds, and waits until it is gone. It returns how many connections were
// closed, and 0 without error when no keeper runs.
func Disconnect(ctx context.Context, dir string) (int, error) {
	w, err := dialSocket(ctx, dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer w.Close()
	if err := w.send(msg{Op: "exit"}); err != nil {
		return 0, fmt.Errorf("persist: %w", err)
	}
	m, err := w.recv()
	if err != nil {
		return 0, fmt.Errorf("persist: the keeper did not answer: %w", err)
	}
	// The keeper answers, then closes its connections and exits; the lock
	// is free when it is gone.
	for range 250 {
		if lockFree(dir) {
			return m.Count, nil
		}
		select {
		case <-ctx.Done():
			return m.Count, context.Cause(ctx)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return m.Count, errors.New("persist: the keeper did not exit within 5s")
}

// lockFree reports whether no keeper holds dir's lock.
func lockFree(dir string) bool {
	f, err := os.Open(lockPath(dir))
	if err != nil {
		return true
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return true
}
