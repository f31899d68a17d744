package sshtest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// startPTY starts the command as the leader of a new session whose
// controlling terminal is a fresh PTY of the requested size.
func (c *command) startPTY(req *ptyRequest) error {
	ptmx, tty, err := openPTY()
	if err != nil {
		return err
	}
	defer tty.Close() // the child has its own copies
	c.ptmx = ptmx
	if err := c.resize(req.Rows, req.Columns); err != nil {
		ptmx.Close()
		return err
	}
	c.proc.Stdin, c.proc.Stdout, c.proc.Stderr = tty, tty, tty
	c.proc.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := c.proc.Start(); err != nil {
		ptmx.Close()
		return err
	}
	return nil
}

// openPTY opens a PTY pair. creack/pty leaves the master in blocking mode
// (it calls Fd), which would make Close unable to interrupt a Read; the
// master is reopened here as a non-blocking, pollable file.
func openPTY() (ptmx, tty *os.File, err error) {
	master, tty, err := pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	defer master.Close()
	fd, err := unix.Dup(int(master.Fd()))
	if err != nil {
		tty.Close()
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		tty.Close()
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	return os.NewFile(uintptr(fd), master.Name()), tty, nil
}

// resize sets the terminal size; the kernel sends SIGWINCH to the
// foreground process group.
func (c *command) resize(rows, cols uint32) error {
	if c.ptmx == nil {
		return fmt.Errorf("resize: no pty")
	}
	raw, err := c.ptmx.SyscallConn()
	if err != nil {
		return fmt.Errorf("resize pty: %w", err)
	}
	ws := &unix.Winsize{Row: uint16(rows), Col: uint16(cols)}
	var ioctlErr error
	if err := raw.Control(func(fd uintptr) {
		ioctlErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, ws)
	}); err != nil {
		return fmt.Errorf("resize pty: %w", err)
	}
	if ioctlErr != nil {
		return fmt.Errorf("resize pty: %w", ioctlErr)
	}
	return nil
}

// copyPTY copies the PTY master's output to w until the master ends (every
// holder of the terminal closed it), w fails, or the terminal stalls after
// the leader exited. As with sshd, processes left holding the terminal do
// not keep the session open: once the leader is gone and no output arrived
// for the kill delay, the copy stops and the master is closed, which hangs
// them up. Output still flowing to a slow client is not cut: the quiet
// time counts from the last read, and a write the client holds up is not
// quiet time.
func (c *command) copyPTY(w io.Writer) {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.ptmx.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			n, err = c.readQueued(buf)
		}
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
		if c.leaderGone() {
			_ = c.ptmx.SetReadDeadline(time.Now().Add(c.killDelay))
		}
	}
}

// readQueued reads once without waiting. The kernel hands a PTY's output
// to the reading side from a work queue, and a wait for readability does
// not see output still queued there; a read does, as it first runs that
// work. An empty terminal reads as io.EOF.
func (c *command) readQueued(buf []byte) (int, error) {
	if err := c.ptmx.SetReadDeadline(time.Time{}); err != nil {
		return 0, err
	}
	raw, err := c.ptmx.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var rerr error
	if err := raw.Read(func(fd uintptr) bool {
		n, rerr = unix.Read(int(fd), buf)
		return true
	}); err != nil {
		return 0, err
	}
	switch {
	case n > 0:
		return n, nil
	case rerr == nil || rerr == unix.EAGAIN:
		return 0, io.EOF
	default:
		return 0, rerr
	}
}

func (c *command) leaderGone() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// drainPTY waits, after the leader exited, for the copy of the rest of the
// output (see copyPTY), then closes the master.
func (c *command) drainPTY(copies *sync.WaitGroup) {
	_ = c.ptmx.SetReadDeadline(time.Now().Add(c.killDelay))
	copies.Wait()
	c.ptmx.Close()
}
