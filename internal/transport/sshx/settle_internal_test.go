package sshx

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// TestSettleWaitsForLoss: a request that saw EOF just before its
// connection was declared lost reports the lost connection, not the EOF (a
// host dropped while its command started read "start command: EOF").
func TestSettleWaitsForLoss(t *testing.T) {
	c := &conn{lost: make(chan struct{})}
	go func() {
		time.Sleep(20 * time.Millisecond)
		c.mu.Lock()
		c.err = fmt.Errorf("%w: %v", transport.ErrLost, io.EOF)
		c.mu.Unlock()
		close(c.lost)
	}()
	if err := c.settle(io.EOF); !errors.Is(err, transport.ErrLost) {
		t.Errorf("settle(EOF) on a connection going down = %v, want it lost", err)
	}

	alive := &conn{lost: make(chan struct{})}
	if err := alive.settle(io.EOF); err != io.EOF {
		t.Errorf("settle(EOF) on a live connection = %v, want EOF", err)
	}
	other := errors.New("refused")
	if err := alive.settle(other); err != other {
		t.Errorf("settle(refused) = %v, want it unchanged", err)
	}
}
