package sshx_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// TestSettleWaitsForLoss: a request that saw EOF as its connection went
// down reports the lost connection, not the EOF (a host dropped while its
// command started read "start command: EOF"), however late the loss is
// declared; on a live connection the EOF stays what it is.
func TestSettleWaitsForLoss(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	d := sshx.New(testOptions)
	dial := func() transport.Conn {
		c, err := d.Dial(context.Background(), endpoint(farm, h, known))
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	alive := dial()
	if err := sshx.Settle(alive, io.EOF); err != io.EOF {
		t.Errorf("settle(EOF) on a live connection = %v, want EOF", err)
	}
	other := errors.New("refused")
	if err := sshx.Settle(alive, other); err != other {
		t.Errorf("settle(refused) = %v, want it unchanged", err)
	}

	dropped := dial()
	h.Drop()
	if err := sshx.Settle(dropped, io.EOF); !errors.Is(err, transport.ErrLost) {
		t.Errorf("settle(EOF) on a connection going down = %v, want it lost", err)
	}
}
