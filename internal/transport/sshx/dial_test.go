package sshx_test

import (
	"context"
	"io"
	"net"
	"testing"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// TestDialThroughConn opens a TCP connection from the host's side and
// talks to a loopback listener through it.
func TestDialThroughConn(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{Shell: "/bin/bash"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte("hello from the listener"))
	}()
	ctx := context.Background()
	c, err := sshx.New(testOptions).Dial(ctx, endpoint(farm, farm.Hosts[0], known))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	nc, err := transport.DialVia(ctx, c, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	got, err := io.ReadAll(nc)
	if err != nil || string(got) != "hello from the listener" {
		t.Fatalf("read %q, %v", got, err)
	}
	if _, err := transport.DialVia(ctx, c, "tcp", "127.0.0.1:1"); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
}
