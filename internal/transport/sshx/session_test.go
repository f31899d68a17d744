package sshx_test

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// TestInterruptWithBlockedStdin interrupts a PTY command that never reads
// its input while the caller is blocked writing to it: the window is full,
// so ^C cannot be sent, and Interrupt must still end the command.
func TestInterruptWithBlockedStdin(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	conn := dialOK(t, sshx.New(testOptions), endpoint(farm, h, known))
	s, err := conn.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RequestPTY("xterm", 24, 80); err != nil {
		t.Fatal(err)
	}
	stdin, err := s.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := s.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout)
	if err := s.Start("sleep 6010"); err != nil {
		t.Fatal(err)
	}
	var written atomic.Int64
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		line := bytes.Repeat([]byte("x"), 1023)
		line = append(line, '\n')
		for {
			n, err := stdin.Write(line)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	t.Logf("writer stuck after %d bytes", waitStalled(&written))

	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- s.Interrupt() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Interrupt blocked behind a stuck stdin write")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Interrupt took %s", took)
	}
	waitDone := make(chan error, 1)
	go func() { waitDone <- s.Wait() }()
	select {
	case <-waitDone:
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return after Interrupt")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.WaitIdle(ctx); err != nil {
		t.Fatalf("command still running after Interrupt: %v", err)
	}
}

// waitStalled waits until n stops growing between two looks 100ms apart
// (at most 10s) and returns its value.
func waitStalled(n *atomic.Int64) int64 {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := int64(-1)
	for range 100 {
		<-tick.C
		now := n.Load()
		if now == last {
			break
		}
		last = now
	}
	return last
}
