package sshx

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// TestWatchRequests: more connections than one watcher serves, each host
// asking more want-reply requests than the library buffers; every request
// is refused (not left to stall the connection), every connection's end
// is told, and the watchers are gone after the last one.
func TestWatchRequests(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	serverCfg := &ssh.ServerConfig{NoClientAuth: true}
	serverCfg.AddHostKey(signer)
	clientCfg := &ssh.ClientConfig{User: "u", HostKeyCallback: ssh.InsecureIgnoreHostKey()}

	const conns, asks = 3*watchGroup + 1, 40
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			cside, sside, err := tcpPair()
			if err != nil {
				t.Error(err)
				return
			}
			type server struct {
				conn *ssh.ServerConn
				err  error
			}
			srv := make(chan server, 1)
			go func() {
				sc, chans, reqs, err := ssh.NewServerConn(sside, serverCfg)
				if err == nil {
					go ssh.DiscardRequests(reqs)
					go func() {
						for range chans {
						}
					}()
				}
				srv <- server{sc, err}
			}()
			c, chans, reqs, err := ssh.NewClientConn(cside, "pipe", clientCfg)
			if err != nil {
				t.Errorf("conn %d: %v", i, err)
				return
			}
			client := ssh.NewClient(c, chans, noRequests)
			defer client.Close()
			gone := make(chan struct{})
			watchRequests(reqs).whenGone(func() { close(gone) })
			s := <-srv
			if s.err != nil {
				t.Errorf("conn %d: server: %v", i, s.err)
				return
			}
			for range asks {
				ok, _, err := s.conn.SendRequest("keepalive@openssh.com", true, nil)
				if ok || err != nil {
					t.Errorf("conn %d: request answered %v, %v; want refused", i, ok, err)
					return
				}
			}
			s.conn.Close()
			select {
			case <-gone:
			case <-time.After(10 * time.Second):
				t.Errorf("conn %d: its end was not told", i)
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		watchers.mu.Lock()
		left := len(watchers.open)
		watchers.mu.Unlock()
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d watchers left after every connection ended", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tcpPair is both ends of a loopback TCP connection (net.Pipe has no
// buffer, and both sides of an SSH handshake write first).
func tcpPair() (net.Conn, net.Conn, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	s, err := ln.Accept()
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, s, nil
}
