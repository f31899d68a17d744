package sshx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proxyDial runs an ssh_config ProxyCommand locally, as ssh does (`sh -c
// "exec CMD"`), and returns its stdin and stdout as the byte stream to the
// host. The command runs in its own process group, killed and reaped when
// the connection closes; what it prints on stderr is kept for the error
// that says why the connection failed or ended.
func proxyDial(ctx context.Context, command string) (net.Conn, error) {
	cmd := exec.Command("/bin/sh", "-c", "exec "+command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("proxy command: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("proxy command: %w", err)
	}
	pc := &proxyConn{cmd: cmd, in: stdin, out: stdout, stderr: &tailBuffer{max: 4096}}
	cmd.Stderr = pc.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("proxy command %q: %w", command, err)
	}
	pc.waited = make(chan struct{})
	go func() {
		pc.waitErr = cmd.Wait()
		close(pc.waited)
	}()
	if ctx.Err() != nil {
		pc.Close()
		return nil, ctx.Err()
	}
	return pc, nil
}

// proxyConn is a ProxyCommand's pipes as a net.Conn. Deadlines are not
// supported: the handshake has its own timer, which closes the conn.
type proxyConn struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     io.ReadCloser
	stderr  *tailBuffer
	waited  chan struct{}
	waitErr error
	once    sync.Once
}

func (p *proxyConn) Read(b []byte) (int, error) {
	n, err := p.out.Read(b)
	if err != nil && n == 0 {
		return 0, p.ended(err)
	}
	return n, nil
}

func (p *proxyConn) Write(b []byte) (int, error) {
	n, err := p.in.Write(b)
	if err != nil {
		return n, p.ended(err)
	}
	return n, nil
}

// proxyExitWait bounds how long a stream that ended waits for its command
// to exit and for the last of its stderr: a command that ends its stream
// has mostly exited, and on a loaded machine its words can take a while
// to arrive; one that lingers, or a child that holds its stderr, does not
// hold up the error longer than this.
const proxyExitWait = 2 * time.Second

// ended says why the stream ended, with the command's own words.
func (p *proxyConn) ended(err error) error {
	t := time.NewTimer(proxyExitWait)
	defer t.Stop()
	select {
	case <-p.waited:
	case <-t.C:
	}
	if msg := strings.TrimSpace(p.stderr.String()); msg != "" {
		return fmt.Errorf("proxy command: %s: %w", msg, err)
	}
	if p.waitErr != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("proxy command: %v: %w", p.waitErr, err)
	}
	return err
}

// Close ends the command: its pipes closed, its process group killed,
// the process reaped.
func (p *proxyConn) Close() error {
	p.once.Do(func() {
		p.in.Close()
		if p.cmd.Process != nil {
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
		<-p.waited
	})
	return nil
}

func (p *proxyConn) LocalAddr() net.Addr              { return proxyAddr{} }
func (p *proxyConn) RemoteAddr() net.Addr             { return proxyAddr{} }
func (p *proxyConn) SetDeadline(time.Time) error      { return nil }
func (p *proxyConn) SetReadDeadline(time.Time) error  { return nil }
func (p *proxyConn) SetWriteDeadline(time.Time) error { return nil }

type proxyAddr struct{}

func (proxyAddr) Network() string { return "proxy" }
func (proxyAddr) String() string  { return "proxy command" }

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	b   bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b.Write(p)
	if extra := t.b.Len() - t.max; extra > 0 {
		t.b.Next(extra)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}
