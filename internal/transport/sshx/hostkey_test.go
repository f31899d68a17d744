package sshx_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	gliderssh "github.com/gliderlabs/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

func TestHashedKnownHosts(t *testing.T) {
	farm, _ := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	other, err := generateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		key     ssh.PublicKey
		changed bool
	}{
		{"same key", h.HostKey, false},
		{"other key", other.PublicKey(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known := filepath.Join(t.TempDir(), "known_hosts")
			writeLines(t, known, "# hashed", hashedLine(h.Address(), tt.key))
			ep := endpoint(farm, h, known)
			conn, err := sshx.New(testOptions).Dial(context.Background(), ep)
			if !tt.changed {
				if err != nil {
					t.Fatalf("dial with a hashed entry: %v", err)
				}
				conn.Close()
				return
			}
			var hkErr *transport.HostKeyError
			if !errors.As(err, &hkErr) || hkErr.Problem != transport.HostKeyChanged {
				t.Fatalf("dial = %v, want a changed host key", err)
			}
			if hkErr.File != known || hkErr.Line != 2 {
				t.Errorf("changed key reported at %s:%d, want %s:2", hkErr.File, hkErr.Line, known)
			}
		})
	}
}

// TestKnownKeyTypePreferred dials a host with an RSA and an ed25519 key
// whose known_hosts has only one of them: that key's algorithm must be
// negotiated, not the other key reported as changed.
func TestKnownKeyTypePreferred(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaSigner, err := ssh.NewSignerFromKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	edSigner, err := generateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	addr := startTwoKeyServer(t, rsaSigner, edSigner)
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	opts := testOptions
	opts.Password = func(context.Context) (string, error) { return "any", nil }

	tests := []struct {
		name  string
		known ssh.PublicKey
	}{
		{"ed25519 known", edSigner.PublicKey()},
		{"rsa known", rsaSigner.PublicKey()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known := filepath.Join(t.TempDir(), "known_hosts")
			writeLines(t, known, knownhosts.Line([]string{knownhosts.Normalize(addr)}, tt.known))
			ep := transport.Endpoint{Name: "two-keys", Host: host, Port: p, User: "deploy", KnownHosts: []string{known}}
			conn, err := sshx.New(opts).Dial(context.Background(), ep)
			if err != nil {
				t.Fatalf("dial a host whose %s key is known: %v", tt.known.Type(), err)
			}
			conn.Close()
		})
	}
}

// startTwoKeyServer runs an SSH server with the given host keys that lets
// anyone in and runs nothing.
func startTwoKeyServer(t *testing.T, keys ...ssh.Signer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &gliderssh.Server{
		Handler:         func(s gliderssh.Session) { s.Exit(0) },
		PasswordHandler: func(gliderssh.Context, string) bool { return true },
	}
	for _, k := range keys {
		srv.AddHostKey(k)
	}
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

func TestAcceptNewConcurrent(t *testing.T) {
	const hosts = 4
	farm, _ := startFarm(t, hosts, sshtest.Options{})
	known := filepath.Join(t.TempDir(), ".ssh", "known_hosts") // made as ssh makes ~/.ssh
	accept := testOptions
	accept.AcceptNew = true
	d := sshx.New(accept)
	var wg sync.WaitGroup
	for _, h := range farm.Hosts {
		wg.Go(func() {
			conn, err := d.Dial(context.Background(), endpoint(farm, h, known))
			if err != nil {
				t.Errorf("accept-new dial %s: %v", h.Name, err)
				return
			}
			conn.Close()
		})
	}
	wg.Wait()

	b, err := os.ReadFile(known)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != hosts {
		t.Fatalf("known_hosts has %d lines, want %d:\n%s", len(lines), hosts, b)
	}
	if st, err := os.Stat(known); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("known_hosts mode = %v (%v), want 0600", st.Mode().Perm(), err)
	}
	strict := sshx.New(testOptions)
	for _, h := range farm.Hosts {
		dialOK(t, strict, endpoint(farm, h, known))
	}
}

// TestAcceptNewMakesNoDirectories: as with ssh, a missing ~/.ssh is made
// for the known_hosts file, but no other directory: a path under one that
// does not exist fails the dial and creates nothing.
func TestAcceptNewMakesNoDirectories(t *testing.T) {
	farm, _ := startFarm(t, 1, sshtest.Options{})
	dir := t.TempDir()
	known := filepath.Join(dir, "typo", "known_hosts")
	accept := testOptions
	accept.AcceptNew = true
	conn, err := sshx.New(accept).Dial(context.Background(), endpoint(farm, farm.Hosts[0], known))
	if err == nil {
		conn.Close()
		t.Fatal("the dial recorded the key under a directory that did not exist")
	}
	if !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("dial error = %v, want the missing file named", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "typo")); !os.IsNotExist(err) {
		t.Errorf("the directory was made: %v", err)
	}
}

func TestAcceptNewAppendsAfterUnterminatedLine(t *testing.T) {
	farm, _ := startFarm(t, 1, sshtest.Options{})
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, []byte("# no final newline"), 0o600); err != nil {
		t.Fatal(err)
	}
	accept := testOptions
	accept.AcceptNew = true
	dialOK(t, sshx.New(accept), endpoint(farm, farm.Hosts[0], known))
	dialOK(t, sshx.New(testOptions), endpoint(farm, farm.Hosts[0], known))
}

func TestNoKnownHostsFiles(t *testing.T) {
	farm, _ := startFarm(t, 1, sshtest.Options{})
	ep := endpoint(farm, farm.Hosts[0], "")
	ep.KnownHosts = nil
	accept := testOptions
	accept.AcceptNew = true
	_, err := sshx.New(accept).Dial(context.Background(), ep)
	var hkErr *transport.HostKeyError
	if !errors.As(err, &hkErr) || hkErr.Problem != transport.HostKeyUnknown {
		t.Fatalf("dial without known_hosts = %v, want an unknown host key", err)
	}
}

// hashedLine is a known_hosts line with a hashed host name.
func hashedLine(addr string, key ssh.PublicKey) string {
	return knownhosts.HashHostname(knownhosts.Normalize(addr)) + " " + key.Type() + " " +
		base64.StdEncoding.EncodeToString(key.Marshal())
}

func writeLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestKnownHostsReloaded checks that one Dialer sees known_hosts changes
// made between dials: its own accept-new appends and edits by others.
func TestKnownHostsReloaded(t *testing.T) {
	farm, _ := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	known := filepath.Join(t.TempDir(), "known_hosts")
	accept := testOptions
	accept.AcceptNew = true
	d := sshx.New(accept)

	dialOK(t, d, endpoint(farm, h, known))
	dialOK(t, d, endpoint(farm, h, known))
	if b, _ := os.ReadFile(known); strings.Count(string(b), "\n") != 1 {
		t.Fatalf("known_hosts after two accept-new dials:\n%s", b)
	}

	other, err := generateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	writeLines(t, known, knownhosts.Line([]string{knownhosts.Normalize(h.Address())}, other.PublicKey()))
	_, err = d.Dial(context.Background(), endpoint(farm, h, known))
	var hkErr *transport.HostKeyError
	if !errors.As(err, &hkErr) || hkErr.Problem != transport.HostKeyChanged {
		t.Fatalf("dial after known_hosts changed = %v, want a changed host key", err)
	}
}

// TestRecheck: a connection's host key checked again against the
// known_hosts file as it is now: still listed is fine; the line replaced
// by another key, or the file emptied, is refused as a fresh dial would.
func TestRecheck(t *testing.T) {
	farm, _ := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	other, err := generateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	known := filepath.Join(t.TempDir(), "known_hosts")
	writeLines(t, known, hashedLine(h.Address(), h.HostKey))
	ep := endpoint(farm, h, known)
	d := sshx.New(testOptions)
	conn, err := d.Dial(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := d.Recheck(ep, conn); err != nil {
		t.Errorf("recheck with the key listed: %v", err)
	}
	writeLines(t, known, "# replaced", hashedLine(h.Address(), other.PublicKey()))
	var hkErr *transport.HostKeyError
	if err := d.Recheck(ep, conn); !errors.As(err, &hkErr) || hkErr.Problem != transport.HostKeyChanged {
		t.Errorf("recheck with another key listed = %v, want changed", err)
	}
	writeLines(t, known, "# empty")
	if err := d.Recheck(ep, conn); !errors.As(err, &hkErr) || hkErr.Problem != transport.HostKeyUnknown {
		t.Errorf("recheck with the key gone = %v, want unknown", err)
	}
}
