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
