package sshx

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
)

// TestSettleWaitsForLoss: a request that saw EOF as its connection went
// down reports the lost connection, not the EOF (a host dropped while its
// command started read "start command: EOF"), however late the loss is
// declared; on a live connection the EOF stays what it is.
func TestSettleWaitsForLoss(t *testing.T) {
	farm, err := sshtest.Start(context.Background(), sshtest.Options{Hosts: 1, Dir: t.TempDir(), KillDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("start farm: %v", err)
	}
	t.Cleanup(func() { farm.Close() })
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := farm.KnownHosts(known); err != nil {
		t.Fatal(err)
	}
	h := farm.Hosts[0]
	ep := transport.Endpoint{Name: h.Name, Host: h.Addr, Port: h.Port, User: "deploy",
		Identities: []string{farm.ClientKey}, KnownHosts: []string{known}}
	d := New(Options{ConnectTimeout: 20 * time.Second, KeepaliveInterval: time.Second, KeepaliveCountMax: 3})
	dial := func() *conn {
		c, err := d.Dial(context.Background(), ep)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*conn)
	}

	alive := dial()
	if err := alive.settle(io.EOF); err != io.EOF {
		t.Errorf("settle(EOF) on a live connection = %v, want EOF", err)
	}
	other := errors.New("refused")
	if err := alive.settle(other); err != other {
		t.Errorf("settle(refused) = %v, want it unchanged", err)
	}

	dropped := dial()
	h.Drop()
	if err := dropped.settle(io.EOF); !errors.Is(err, transport.ErrLost) {
		t.Errorf("settle(EOF) on a connection going down = %v, want it lost", err)
	}
}
