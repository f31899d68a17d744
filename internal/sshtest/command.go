package sshtest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// commandSpec is what a session asks to run.
type commandSpec struct {
	shell string
	line  string // empty: an interactive shell
	dir   string
	env   []string
	pty   *ptyRequest // nil: plain pipes
}

// command is one running process group: its leader is the shell, which is
// also the group id. With a PTY the leader starts a new session and the
// terminal is its controlling terminal; without one, stdin, stdout and
// stderr are separate pipes.
type command struct {
	host      *Host
	proc      *exec.Cmd
	pgid      int
	killDelay time.Duration
	exited    chan struct{} // closed once the leader is reaped

	ptmx   *os.File // the PTY master; nil without a PTY
	stdin  *os.File // write end of the stdin pipe; nil with a PTY
	stdout *os.File // read end of the stdout pipe; nil with a PTY
	stderr *os.File // read end of the stderr pipe; nil with a PTY
}

func startCommand(h *Host, spec commandSpec) (*command, error) {
	args := []string{spec.shell}
	if spec.line != "" {
		args = append(args, "-c", spec.line)
	}
	proc := exec.Command(args[0], args[1:]...)
	proc.Dir = spec.dir
	proc.Env = spec.env
	c := &command{host: h, proc: proc, killDelay: h.opts.KillDelay, exited: make(chan struct{})}
	var err error
	if spec.pty != nil {
		err = c.startPTY(spec.pty)
	} else {
		err = c.startPipes()
	}
	if err != nil {
		return nil, fmt.Errorf("start %q: %w", spec.line, err)
	}
	c.pgid = proc.Process.Pid
	h.procStarted()
	return c, nil
}

// startPipes starts the command in its own process group with three pipes.
// The pipes are made here, not by exec, so that Wait never waits for them.
func (c *command) startPipes() error {
	ends, err := pipes(3)
	if err != nil {
		return err
	}
	c.proc.Stdin, c.stdin = ends[0][0], ends[0][1]
	c.stdout, c.proc.Stdout = ends[1][0], ends[1][1]
	c.stderr, c.proc.Stderr = ends[2][0], ends[2][1]
	c.proc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = c.proc.Start()
	for _, f := range []any{c.proc.Stdin, c.proc.Stdout, c.proc.Stderr} {
		f.(*os.File).Close() // the child's ends
	}
	if err != nil {
		c.stdin.Close()
		c.stdout.Close()
		c.stderr.Close()
	}
	return err
}

// pipes makes n pipes, each as [read end, write end].
func pipes(n int) ([][2]*os.File, error) {
	var ends [][2]*os.File
	for range n {
		r, w, err := os.Pipe()
		if err != nil {
			for _, e := range ends {
				e[0].Close()
				e[1].Close()
			}
			return nil, fmt.Errorf("make pipe: %w", err)
		}
		ends = append(ends, [2]*os.File{r, w})
	}
	return ends, nil
}

// run copies the command's output to ch until the command is over, and
// returns how it ended. It marks the command as ended on the host before it
// returns.
func (c *command) run(ch gossh.Channel) *os.ProcessState {
	var copies sync.WaitGroup
	if c.ptmx != nil {
		copies.Go(func() { c.copyPTY(ch) })
	} else {
		copyTo(&copies, ch, c.stdout)
		copyTo(&copies, ch.Stderr(), c.stderr)
	}
	_ = c.proc.Wait()
	close(c.exited)
	c.host.procEnded()
	if c.ptmx != nil {
		c.drainPTY(&copies)
	} else {
		copies.Wait()
		c.stdout.Close()
		c.stderr.Close()
	}
	return c.proc.ProcessState
}

func copyTo(wg *sync.WaitGroup, w io.Writer, r io.Reader) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(w, r)
	}()
}

// feed copies the client's input to the command until the client sends EOF
// or the channel closes.
func (c *command) feed(ch gossh.Channel) {
	if c.ptmx != nil {
		_, _ = io.Copy(c.ptmx, ch)
		return
	}
	_, _ = io.Copy(c.stdin, ch)
	c.stdin.Close()
}

// signal delivers the SSH signal name (e.g. "INT") to the process group.
func (c *command) signal(name string) error {
	sig, ok := signalsByName[name]
	if !ok {
		return fmt.Errorf("unknown signal %q", name)
	}
	return syscall.Kill(-c.pgid, sig)
}

// hangup ends the process group as a terminal hangup does: SIGHUP, then
// SIGKILL after the kill delay (at once if the leader is gone already), so
// nothing started by the session outlives it.
func (c *command) hangup() {
	_ = syscall.Kill(-c.pgid, syscall.SIGHUP)
	_ = syscall.Kill(-c.pgid, syscall.SIGCONT)
	timer := time.NewTimer(c.killDelay)
	defer timer.Stop()
	select {
	case <-c.exited:
	case <-timer.C:
	}
	_ = syscall.Kill(-c.pgid, syscall.SIGKILL)
	if c.ptmx != nil {
		c.ptmx.Close()
	}
}

var signalsByName = map[string]syscall.Signal{
	"ABRT": syscall.SIGABRT,
	"ALRM": syscall.SIGALRM,
	"HUP":  syscall.SIGHUP,
	"INT":  syscall.SIGINT,
	"KILL": syscall.SIGKILL,
	"QUIT": syscall.SIGQUIT,
	"TERM": syscall.SIGTERM,
	"USR1": syscall.SIGUSR1,
	"USR2": syscall.SIGUSR2,
}

// signalOf is the SSH name of the signal that killed the process, or "".
func signalOf(st *os.ProcessState) string {
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return ""
	}
	for name, sig := range signalsByName {
		if sig == ws.Signal() {
			return name
		}
	}
	return strings.TrimPrefix(unix.SignalName(ws.Signal()), "SIG")
}
