package sshx

import (
	"context"
	"io"
	"net"
	"syscall"
	"testing"
)

// TestTCPOptions: a host connection has TCP_NODELAY, and TCP_QUICKACK is
// still on after a read that answers a write, which is when the kernel
// turns it off by itself (it then delays ACKs, hoping to send them with
// the next data).
func TestTCPOptions(t *testing.T) {
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
		for range 3 {
			if _, err := c.Write([]byte("SSH-2.0-test\r\n")); err != nil {
				return
			}
			if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
				return
			}
		}
	}()
	nc, err := tcpDialer().DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tuneTCP(nc)
	defer c.Close()
	qc, ok := c.(*quickAckConn)
	if !ok {
		t.Fatalf("connection is %T, want it wrapped to keep TCP_QUICKACK", c)
	}
	buf := make([]byte, 64)
	for i := range 3 {
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
		for opt, name := range map[int]string{syscall.TCP_NODELAY: "TCP_NODELAY", syscall.TCP_QUICKACK: "TCP_QUICKACK"} {
			var v int
			var gerr error
			qc.raw.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, opt) })
			if gerr != nil || v != 1 {
				t.Errorf("read %d: %s = %d (%v), want 1", i+1, name, v, gerr)
			}
		}
		if _, err := c.Write([]byte("ack\n")); err != nil {
			t.Fatal(err)
		}
	}
}
