package sshtest

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// echoServer accepts connections on a loopback port and echoes one line on
// each; it stops with the test.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			echoLine(c)
		}
	}()
	return ln.Addr().String()
}

func echoLine(c net.Conn) {
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err == nil {
		io.WriteString(c, "echo: "+line)
	}
}

func roundTrip(t *testing.T, c net.Conn) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "echo: ping\n" {
		t.Fatalf("reply = %q, %v; want %q", got, err, "echo: ping\n")
	}
}

func TestDirectTCPIP(t *testing.T) {
	f := startFarm(t, Options{})
	c := dial(t, f, f.Hosts[0])
	conn, err := c.Dial("tcp", echoServer(t))
	if err != nil {
		t.Fatalf("direct-tcpip: %v", err)
	}
	roundTrip(t, conn)
	if _, err := c.Dial("tcp", "192.0.2.1:80"); err == nil {
		t.Error("direct-tcpip to a non-loopback address was allowed")
	}
}

func TestProxyJump(t *testing.T) {
	f := startFarm(t, Options{Hosts: 2})
	jump := dial(t, f, f.Hosts[0])
	target := f.Hosts[1]
	raw, err := jump.Dial("tcp", target.Address())
	if err != nil {
		t.Fatalf("dial %s through %s: %v", target.Name, f.Hosts[0].Name, err)
	}
	conn, chans, reqs, err := gossh.NewClientConn(raw, target.Address(), &gossh.ClientConfig{
		User: "deploy", Auth: []gossh.AuthMethod{keyAuth(t, f)}, HostKeyCallback: gossh.FixedHostKey(target.HostKey),
	})
	if err != nil {
		t.Fatalf("handshake through the jump host: %v", err)
	}
	c := gossh.NewClient(conn, chans, reqs)
	defer c.Close()
	out, err := mustSession(t, c).Output("echo $DROVER_SANDBOX_HOST")
	if err != nil || string(out) != "host02\n" {
		t.Fatalf("output = %q, %v; want host02", out, err)
	}
}

func mustSession(t *testing.T, c *gossh.Client) *gossh.Session {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRemoteForward(t *testing.T) {
	f := startFarm(t, Options{})
	c := dial(t, f, f.Hosts[0])
	ln, err := c.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("tcpip-forward: %v", err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			echoLine(conn)
		}
	}()
	// The host's end of the forward is on this machine.
	addr := ln.Addr().String()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial the forwarded port: %v", err)
	}
	roundTrip(t, conn)
	if err := ln.Close(); err != nil {
		t.Fatalf("cancel-tcpip-forward: %v", err)
	}
	<-served
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Error("forwarded port still open after cancel")
	}
}
