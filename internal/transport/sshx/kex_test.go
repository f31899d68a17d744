package sshx_test

import (
	"context"
	"net"
	"strconv"
	"testing"

	gliderssh "github.com/gliderlabs/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// TestKeyExchange: the post-quantum hybrid is negotiated with a server
// that has it, and a server without it falls back to OpenSSH's next
// choices in one handshake.
func TestKeyExchange(t *testing.T) {
	tests := []struct {
		name   string
		server []string // the server's algorithms; nil: x/crypto's defaults
		want   string
	}{
		{"server offers everything", nil, ssh.KeyExchangeMLKEM768X25519},
		{"no post-quantum", []string{ssh.KeyExchangeECDHP256, ssh.KeyExchangeCurve25519}, ssh.KeyExchangeCurve25519},
		{"only ecdh", []string{ssh.KeyExchangeECDHP384}, ssh.KeyExchangeECDHP384},
		{"only dh group14", []string{ssh.KeyExchangeDH14SHA256}, ssh.KeyExchangeDH14SHA256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer, err := generateEd25519()
			if err != nil {
				t.Fatal(err)
			}
			addr := startKexServer(t, signer, tt.server)
			host, port, _ := net.SplitHostPort(addr)
			p, _ := strconv.Atoi(port)
			known := t.TempDir() + "/known_hosts"
			writeLines(t, known, knownhosts.Line([]string{addr}, signer.PublicKey()))
			opts := testOptions
			opts.Password = func(context.Context) (string, error) { return "any", nil }
			ep := transport.Endpoint{Host: host, Port: p, User: "deploy", KnownHosts: []string{known}, GlobalKnownHosts: []string{"none"}}
			conn, err := sshx.New(opts).Dial(context.Background(), ep)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer conn.Close()
			n, ok := sshx.NegotiatedOf(conn)
			if !ok || n.KeyExchange != tt.want {
				t.Fatalf("negotiated %+v (%v), want key exchange %s", n, ok, tt.want)
			}
			if n.HostKey != ssh.KeyAlgoED25519 || n.Cipher == "" {
				t.Errorf("negotiated %+v, want ssh-ed25519 and a cipher", n)
			}
		})
	}
	if _, ok := sshx.NegotiatedOf(struct{}{}); ok {
		t.Error("NegotiatedOf accepts a value that is no sshx connection")
	}
}

// startKexServer runs a password server limited to kex algorithms.
func startKexServer(t *testing.T, key ssh.Signer, kex []string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &gliderssh.Server{
		Handler:         func(s gliderssh.Session) { s.Exit(0) },
		PasswordHandler: func(gliderssh.Context, string) bool { return true },
		ServerConfigCallback: func(gliderssh.Context) *ssh.ServerConfig {
			return &ssh.ServerConfig{Config: ssh.Config{KeyExchanges: kex}}
		},
	}
	srv.AddHostKey(key)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String()
}
