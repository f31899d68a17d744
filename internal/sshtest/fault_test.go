package sshtest

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// startSleeper starts `sleep 600` in the background of a shell on c and
// returns the session and the pid of the sleep.
func startSleeper(t *testing.T, c *gossh.Client, withPTY bool) (*gossh.Session, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if withPTY {
		if err := s.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
	}
	stdout, _ := s.StdoutPipe()
	if err := s.Start("sleep 600 & echo $!; wait"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("pid line %q: %v", line, err)
	}
	return s, pid
}

// alive says whether pid is a live process (not gone, not a zombie).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func waitIdle(t *testing.T, h *Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitDead waits until pid is gone; a process group gets SIGKILL right
// after its leader is reaped, so this is quick.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d survived its session", pid)
		}
		time.Sleep(10 * time.Millisecond) // polling a process table, not synchronising goroutines
	}
}

func TestEndingTheSessionKillsItsProcesses(t *testing.T) {
	tests := []struct {
		name string
		pty  bool
		end  func(*Host, *gossh.Client, *gossh.Session)
	}{
		{name: "close, pipes", end: func(_ *Host, _ *gossh.Client, s *gossh.Session) { s.Close() }},
		{name: "close, pty", pty: true, end: func(_ *Host, _ *gossh.Client, s *gossh.Session) { s.Close() }},
		{name: "client connection closed", end: func(_ *Host, c *gossh.Client, _ *gossh.Session) { c.Close() }},
		{name: "host drops the connection", pty: true, end: func(h *Host, _ *gossh.Client, _ *gossh.Session) { h.Drop() }},
	}
	f := startFarm(t, Options{})
	h := f.Hosts[0]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, f, h)
			s, pid := startSleeper(t, c, tt.pty)
			if n := h.Processes(); n != 1 {
				t.Errorf("Processes() = %d while running, want 1", n)
			}
			tt.end(h, c, s)
			waitIdle(t, h)
			waitDead(t, pid)
		})
	}
}

func TestSignal(t *testing.T) {
	tests := []struct {
		name string
		sig  gossh.Signal
		pty  bool
	}{
		{name: "TERM", sig: gossh.SIGTERM},
		{name: "INT with pty", sig: gossh.SIGINT, pty: true},
		{name: "KILL", sig: gossh.SIGKILL},
	}
	f := startFarm(t, Options{})
	c := dial(t, f, f.Hosts[0])
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if tt.pty {
				if err := s.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Start("exec sleep 600"); err != nil {
				t.Fatal(err)
			}
			if err := s.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			var ee *gossh.ExitError
			if err := s.Wait(); !errors.As(err, &ee) || ee.Signal() != string(tt.sig) {
				t.Fatalf("Wait = %v, want killed by %s", err, tt.sig)
			}
		})
	}
}

func TestFreezeStopsKeepaliveReplies(t *testing.T) {
	f := startFarm(t, Options{})
	h := f.Hosts[0]
	c := dial(t, f, h)
	if ok, _, err := c.SendRequest("keepalive@openssh.com", true, nil); err != nil || !ok {
		t.Fatalf("keepalive before Freeze = %v, %v; want true", ok, err)
	}
	h.Freeze()
	replied := make(chan error, 1)
	go func() {
		_, _, err := c.SendRequest("keepalive@openssh.com", true, nil)
		replied <- err
	}()
	select {
	case err := <-replied:
		t.Fatalf("keepalive answered while frozen (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	// A new connection gets nowhere either.
	raw, err := net.Dial("tcp", h.Address())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, _, _, err := gossh.NewClientConn(raw, h.Address(), &gossh.ClientConfig{
		User: "deploy", Auth: []gossh.AuthMethod{keyAuth(t, f)}, HostKeyCallback: gossh.FixedHostKey(h.hostKey()),
	}); err == nil {
		t.Fatal("handshake with a frozen host succeeded")
	}
	h.Thaw()
	if err := <-replied; err != nil {
		t.Fatalf("keepalive after Thaw: %v", err)
	}
}

func TestStop(t *testing.T) {
	f := startFarm(t, Options{})
	h := f.Hosts[0]
	c := dial(t, f, h)
	h.Stop()
	ended := make(chan struct{})
	go func() {
		c.Wait()
		close(ended)
	}()
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("connection survived Stop")
	}
	if _, err := dialWith(h, "deploy", keyAuth(t, f)); err == nil {
		t.Fatal("dial after Stop succeeded")
	}
}

func TestRekey(t *testing.T) {
	f := startFarm(t, Options{})
	h := f.Hosts[0]
	old := h.HostKey
	c := dial(t, f, h)
	if err := h.Rekey(); err != nil {
		t.Fatal(err)
	}
	if _, err := gossh.Dial("tcp", h.Address(), &gossh.ClientConfig{
		User: "deploy", Auth: []gossh.AuthMethod{keyAuth(t, f)}, HostKeyCallback: gossh.FixedHostKey(old),
	}); err == nil {
		t.Fatal("dial with the old host key succeeded")
	}
	dial(t, f, h) // the new key is accepted
	s, err := c.NewSession()
	if err != nil {
		t.Fatalf("existing connection after Rekey: %v", err)
	}
	defer s.Close()
	if err := s.Run("true"); err != nil {
		t.Fatalf("run on existing connection: %v", err)
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		auth   func(*Farm) gossh.AuthMethod
		wantOK bool
	}{
		{name: "key", auth: func(f *Farm) gossh.AuthMethod { return keyAuth(t, f) }, wantOK: true},
		{name: "password", opts: Options{Password: "s3cret"}, auth: func(*Farm) gossh.AuthMethod { return gossh.Password("s3cret") }, wantOK: true},
		{name: "wrong password", opts: Options{Password: "s3cret"}, auth: func(*Farm) gossh.AuthMethod { return gossh.Password("guess") }},
		{name: "no password set", auth: func(*Farm) gossh.AuthMethod { return gossh.Password("") }},
		{name: "key refused", opts: Options{Password: "s3cret", NoKeyAuth: true}, auth: func(f *Farm) gossh.AuthMethod { return keyAuth(t, f) }},
		{name: "key refused, no password", opts: Options{NoKeyAuth: true}, auth: func(*Farm) gossh.AuthMethod { return gossh.Password("") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFarm(t, tt.opts)
			c, err := dialWith(f.Hosts[0], "anyone", tt.auth(f))
			if c != nil {
				c.Close()
			}
			if (err == nil) != tt.wantOK {
				t.Fatalf("dial error = %v, want success %v", err, tt.wantOK)
			}
		})
	}
}

func TestExitSignal(t *testing.T) {
	tests := []struct {
		name, cmd, want string
	}{
		{name: "named signal", cmd: "kill -USR1 $$", want: "USR1"},
		{name: "other signal", cmd: "kill -PIPE $$", want: "PIPE"},
	}
	f := startFarm(t, Options{})
	c := dial(t, f, f.Hosts[0])
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ee *gossh.ExitError
			if err := mustSession(t, c).Run(tt.cmd); !errors.As(err, &ee) || ee.Signal() != tt.want {
				t.Fatalf("Run = %v, want killed by %s", err, tt.want)
			}
		})
	}
}
