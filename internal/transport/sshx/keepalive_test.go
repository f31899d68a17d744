package sshx_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

func TestLost(t *testing.T) {
	tests := []struct {
		name  string
		fault func(h *sshtest.Host)
	}{
		{"frozen host", (*sshtest.Host).Freeze},
		{"dropped connection", (*sshtest.Host).Drop},
		{"stopped host", (*sshtest.Host).Stop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm, known := startFarm(t, 1, sshtest.Options{})
			h := farm.Hosts[0]
			conn := dialOK(t, sshx.New(lossOptions), endpoint(farm, h, known))
			waitErr := runInBackground(t, conn, "sleep 600")

			start := time.Now()
			tt.fault(h)
			// Lost within interval*count, plus one interval for the tick
			// that sends the unanswered keepalive, plus scheduling slack.
			limit := lossOptions.KeepaliveInterval*time.Duration(lossOptions.KeepaliveCountMax+1) + 3*time.Second
			select {
			case <-conn.Lost():
			case <-time.After(10 * time.Second):
				t.Fatal("connection not declared lost")
			}
			if took := time.Since(start); took > limit {
				t.Errorf("declared lost after %s, want within %s", took, limit)
			}
			if err := conn.Err(); !errors.Is(err, transport.ErrLost) {
				t.Errorf("Err() = %v, want ErrLost", err)
			}
			select {
			case err := <-waitErr:
				if !errors.Is(err, transport.ErrLost) {
					t.Errorf("Wait = %v, want an error wrapping ErrLost", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Wait did not return on a lost connection")
			}
		})
	}
}

// TestKeepaliveQuietHost checks that a healthy connection with nothing to
// do is not declared lost.
func TestKeepaliveQuietHost(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	conn := dialOK(t, sshx.New(lossOptions), endpoint(farm, farm.Hosts[0], known))
	select {
	case <-conn.Lost():
		t.Fatalf("healthy connection declared lost: %v", conn.Err())
	case <-time.After(20 * lossOptions.KeepaliveInterval):
	}
}

func TestDialFrozenHostTimesOut(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	h.Freeze()
	opts := lossOptions
	opts.ConnectTimeout = 200 * time.Millisecond
	start := time.Now()
	conn, err := sshx.New(opts).Dial(context.Background(), endpoint(farm, h, known))
	if err == nil {
		conn.Close()
		t.Fatal("dial to a frozen host succeeded")
	}
	if !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("dial to a frozen host = %v, want no answer within 200ms", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("dial gave up after %s, want about %s", took, opts.ConnectTimeout)
	}
}

func TestDialCancelled(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	h.Freeze()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		conn, err := sshx.New(sshx.Options{}).Dial(ctx, endpoint(farm, h, known))
		if err == nil {
			conn.Close()
		}
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("dial = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("dial ignored cancellation")
	}
}

// TestDialCancelledInHandshake cancels a dial that has its TCP
// connection and waits in the SSH handshake for a frozen host.
func TestDialCancelledInHandshake(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	h.Freeze()
	opts := lossOptions
	opts.ConnectTimeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		conn, err := sshx.New(opts).Dial(ctx, endpoint(farm, h, known))
		if err == nil {
			conn.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "ssh handshake") {
			t.Fatalf("dial = %v, want the handshake cancelled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("dial ignored cancellation during the handshake")
	}
}

// dialOK dials ep and closes the connection when the test ends.
func dialOK(t *testing.T, d transport.Dialer, ep transport.Endpoint) transport.Conn {
	t.Helper()
	conn, err := d.Dial(context.Background(), ep)
	if err != nil {
		t.Fatalf("dial %s: %v", ep.Name, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// runInBackground starts cmd and returns the channel its Wait result
// arrives on.
func runInBackground(t *testing.T, conn transport.Conn, cmd string) <-chan error {
	t.Helper()
	s, err := conn.NewSession(context.Background())
	if err != nil {
		t.Fatalf("new session: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Start(cmd); err != nil {
		t.Fatalf("start %q: %v", cmd, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	return done
}

// TestFrozenHostHonoursContext checks that opening a session or a forward
// on a host that stopped answering returns when ctx ends, long before
// keepalives would give up.
func TestFrozenHostHonoursContext(t *testing.T) {
	tests := []struct {
		name string
		open func(ctx context.Context, conn transport.Conn) error
	}{
		{"NewSession", func(ctx context.Context, conn transport.Conn) error {
			s, err := conn.NewSession(ctx)
			if err == nil {
				s.Close()
			}
			return err
		}},
		{"ForwardRemote", func(ctx context.Context, conn transport.Conn) error {
			f, err := conn.ForwardRemote(ctx, "127.0.0.1:0", "127.0.0.1:1")
			if err == nil {
				f.Close()
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm, known := startFarm(t, 1, sshtest.Options{})
			h := farm.Hosts[0]
			opts := lossOptions
			opts.KeepaliveInterval = time.Hour
			conn := dialOK(t, sshx.New(opts), endpoint(farm, h, known))
			h.Freeze()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- tt.open(ctx, conn) }()
			select {
			case err := <-done:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("%s on a frozen host = %v, want context.DeadlineExceeded", tt.name, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s ignored ctx on a frozen host", tt.name)
			}
		})
	}
}

// TestKeepaliveOnlyInUse: an idle connection is not probed, so a frozen
// host with nothing open on it is not declared lost; opening a session on
// it is, within the keepalive limit.
func TestKeepaliveOnlyInUse(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	conn := dialOK(t, sshx.New(lossOptions), endpoint(farm, h, known))
	h.Freeze()
	defer h.Thaw()
	select {
	case <-conn.Lost():
		t.Fatalf("an idle connection was probed and declared lost: %v", conn.Err())
	case <-time.After(time.Duration(lossOptions.KeepaliveCountMax+3) * lossOptions.KeepaliveInterval):
	}
	start := time.Now()
	if _, err := conn.NewSession(context.Background()); !errors.Is(err, transport.ErrLost) {
		t.Fatalf("NewSession on a frozen host = %v, want the connection lost", err)
	}
	limit := lossOptions.KeepaliveInterval*time.Duration(lossOptions.KeepaliveCountMax+1) + 3*time.Second
	if took := time.Since(start); took > limit {
		t.Errorf("declared lost %s after the session was asked for, want within %s", took, limit)
	}
}
