package sshtest

import (
	"fmt"
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

// drainPTY waits, after the leader exited, for the rest of the output. As
// with sshd, processes left holding the terminal do not keep the session
// open: once no output moved for the kill delay and none waits for the
// client, the master is closed, which hangs them up. Output still flowing
// to a slow client is not cut.
func (c *command) drainPTY(copies *sync.WaitGroup) {
	drained := make(chan struct{})
	go func() {
		copies.Wait()
		close(drained)
	}()
	ticker := time.NewTicker(c.killDelay)
	defer ticker.Stop()
	last := c.moved.Load()
	for done := false; !done; {
		select {
		case <-drained:
			done = true
		case <-ticker.C:
			now := c.moved.Load()
			done, last = now == last && !c.inPut.Load() && c.unread() == 0, now
		}
	}
	c.ptmx.Close()
	<-drained
}

// unread is how many bytes the PTY master holds that the copy has not read
// yet: on a loaded machine the copy may not have run for a whole tick, and
// output still waiting is not a stalled terminal.
func (c *command) unread() int {
	raw, err := c.ptmx.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	raw.Control(func(fd uintptr) {
		n, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ)
	})
	return n
}
