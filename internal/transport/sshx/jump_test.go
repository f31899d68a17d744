package sshx_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

func TestJump(t *testing.T) {
	farm, known := startFarm(t, 3, sshtest.Options{})
	bastion, middle, target := farm.Hosts[0], farm.Hosts[1], farm.Hosts[2]
	ep := endpoint(farm, target, known)
	ep.Jump = []transport.Endpoint{endpoint(farm, bastion, known), endpoint(farm, middle, known)}
	conn := dialOK(t, sshx.New(testOptions), ep)

	s, err := conn.NewSession(context.Background())
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	defer s.Close()
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("pwd"); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out)
	if err := s.Wait(); err != nil {
		t.Fatalf("wait: %v", err)
	}
	if got := strings.TrimSpace(string(b)); got != target.Dir {
		t.Fatalf("command ran in %q, want the target's %q", got, target.Dir)
	}
}

func TestJumpHostKeyChecked(t *testing.T) {
	farm, known := startFarm(t, 2, sshtest.Options{})
	bastion, target := farm.Hosts[0], farm.Hosts[1]
	hop := endpoint(farm, bastion, known)
	hop.KnownHosts = []string{writeOtherKey(t, bastion.Address())}
	ep := endpoint(farm, target, known)
	ep.Jump = []transport.Endpoint{hop}
	_, err := sshx.New(testOptions).Dial(context.Background(), ep)
	var hkErr *transport.HostKeyError
	if !errors.As(err, &hkErr) || hkErr.Problem != transport.HostKeyChanged {
		t.Fatalf("dial = %v, want the jump host's changed key", err)
	}
	if !strings.Contains(err.Error(), "jump host "+bastion.Name) {
		t.Errorf("error %q does not name the jump host", err)
	}
}

func TestJumpLost(t *testing.T) {
	farm, known := startFarm(t, 2, sshtest.Options{})
	bastion, target := farm.Hosts[0], farm.Hosts[1]
	ep := endpoint(farm, target, known)
	ep.Jump = []transport.Endpoint{endpoint(farm, bastion, known)}
	conn := dialOK(t, sshx.New(testOptions), ep)
	bastion.Drop()
	select {
	case <-conn.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("connection through a dropped jump host not declared lost")
	}
	if !errors.Is(conn.Err(), transport.ErrLost) {
		t.Fatalf("Err() = %v, want ErrLost", conn.Err())
	}
}

// TestJumpShared: 20 targets dialled at once behind one jump host cost the
// jump host one TCP connection; it closes with the last target, and a
// later dial opens a new one.
func TestJumpShared(t *testing.T) {
	farm, known := startFarm(t, 21, sshtest.Options{})
	bastion := farm.Hosts[0]
	d := sshx.New(testOptions)
	conns := make([]transport.Conn, 20)
	errs := make(chan error, 20)
	for i := range conns {
		go func() {
			ep := endpoint(farm, farm.Hosts[i+1], known)
			ep.Jump = []transport.Endpoint{endpoint(farm, bastion, known)}
			c, err := d.Dial(context.Background(), ep)
			conns[i] = c
			errs <- err
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Fatalf("dial: %v", err)
		}
	}
	for i, c := range conns {
		if got := runOn(t, c, "pwd"); got != farm.Hosts[i+1].Dir {
			t.Errorf("target %d ran in %q, want %q", i, got, farm.Hosts[i+1].Dir)
		}
	}
	if n := bastion.Accepted(); n != 1 {
		t.Errorf("the jump host accepted %d connections for 20 targets, want 1", n)
	}
	for _, c := range conns {
		c.Close()
	}
	waitOpen(t, bastion, 0)
	ep := endpoint(farm, farm.Hosts[1], known)
	ep.Jump = []transport.Endpoint{endpoint(farm, bastion, known)}
	c := dialOK(t, d, ep)
	c.Close()
	if n := bastion.Accepted(); n != 2 {
		t.Errorf("after the last target closed, a new dial made the jump host's connection %d, want 2", n)
	}
}

// TestJumpSharedLost: when the shared jump connection drops, every target
// behind it is lost, and the next dial opens a fresh jump connection.
func TestJumpSharedLost(t *testing.T) {
	farm, known := startFarm(t, 3, sshtest.Options{})
	bastion := farm.Hosts[0]
	d := sshx.New(testOptions)
	var conns []transport.Conn
	for _, h := range farm.Hosts[1:] {
		ep := endpoint(farm, h, known)
		ep.Jump = []transport.Endpoint{endpoint(farm, bastion, known)}
		conns = append(conns, dialOK(t, d, ep))
	}
	bastion.Drop()
	for i, c := range conns {
		select {
		case <-c.Lost():
		case <-time.After(10 * time.Second):
			t.Fatalf("target %d not declared lost when its jump host dropped", i)
		}
	}
	ep := endpoint(farm, farm.Hosts[1], known)
	ep.Jump = []transport.Endpoint{endpoint(farm, bastion, known)}
	c := dialOK(t, d, ep)
	defer c.Close()
	if got := runOn(t, c, "pwd"); got != farm.Hosts[1].Dir {
		t.Errorf("after the drop, ran in %q", got)
	}
}

// runOn runs cmd on c and returns its trimmed output.
func runOn(t *testing.T, c transport.Conn, cmd string) string {
	t.Helper()
	s, err := c.NewSession(context.Background())
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	defer s.Close()
	out, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(cmd); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out)
	if err := s.Wait(); err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return strings.TrimSpace(string(b))
}

func waitOpen(t *testing.T, h *sshtest.Host, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.Open() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d open connections, want %d", h.Name, h.Open(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
