package sshx

import (
	"context"
	"net"
	"syscall"
	"testing"
)

// TestTCPOptions: a host connection has TCP_NODELAY, and TCP_QUICKACK is
// still on after a read (the kernel turns it off by itself).
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
			c.Write([]byte("SSH-2.0-test\r\n"))
		}
	}()
	nc, err := tcpDialer().DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := tuneTCP(nc)
	defer c.Close()
	buf := make([]byte, 64)
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	qc, ok := c.(*quickAckConn)
	if !ok {
		t.Fatalf("connection is %T, want it wrapped to keep TCP_QUICKACK", c)
	}
	for opt, name := range map[int]string{syscall.TCP_NODELAY: "TCP_NODELAY", syscall.TCP_QUICKACK: "TCP_QUICKACK"} {
		var v int
		var gerr error
		qc.raw.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, opt) })
		if gerr != nil || v != 1 {
			t.Errorf("%s = %d (%v), want 1", name, v, gerr)
		}
	}
}
