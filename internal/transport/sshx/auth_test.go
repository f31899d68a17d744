package sshx_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

func TestPasswordAskedOnce(t *testing.T) {
	const hosts = 5
	farm, known := startFarm(t, hosts, sshtest.Options{Password: "s3cret", NoKeyAuth: true})
	var calls atomic.Int32
	opts := testOptions
	opts.Password = func(context.Context) (string, error) {
		calls.Add(1)
		return "s3cret", nil
	}
	d := sshx.New(opts)
	var wg sync.WaitGroup
	for _, h := range farm.Hosts {
		ep := endpoint(farm, h, known)
		ep.Identities = nil
		wg.Go(func() {
			conn, err := d.Dial(context.Background(), ep)
			if err != nil {
				t.Errorf("dial %s: %v", h.Name, err)
				return
			}
			conn.Close()
		})
	}
	wg.Wait()
	if got := calls.Load(); got != 1 {
		t.Fatalf("password asked %d times for %d hosts, want once", got, hosts)
	}
}

func TestPasswordError(t *testing.T) {
	farm, known := startFarm(t, 2, sshtest.Options{Password: "s3cret", NoKeyAuth: true})
	var calls atomic.Int32
	opts := testOptions
	opts.Password = func(context.Context) (string, error) {
		calls.Add(1)
		return "", errors.New("no terminal")
	}
	d := sshx.New(opts)
	for _, h := range farm.Hosts {
		ep := endpoint(farm, h, known)
		ep.Identities = nil
		if conn, err := d.Dial(context.Background(), ep); err == nil {
			conn.Close()
			t.Fatalf("dial %s succeeded without a password", h.Name)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("password asked %d times, want once", got)
	}
}

func TestIdentityFileErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		file     string
		wantText string
	}{
		{"missing", filepath.Join(dir, "missing"), "missing"},
		{"directory", dir, dir},
		{"not a key", garbage, garbage},
	}
	farm, known := startFarm(t, 1, sshtest.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := endpoint(farm, farm.Hosts[0], known)
			ep.Identities = []string{tt.file}
			conn, err := sshx.New(testOptions).Dial(context.Background(), ep)
			if err == nil {
				conn.Close()
				t.Fatal("dial succeeded with a bad identity file")
			}
			if !strings.Contains(err.Error(), tt.file) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("error %q does not name %s and %q", err, tt.file, tt.wantText)
			}
		})
	}
}

func TestWrongKeyFails(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	ep := endpoint(farm, farm.Hosts[0], known)
	other := filepath.Join(t.TempDir(), "other")
	writeKey(t, other, "")
	ep.Identities = []string{other}
	if conn, err := sshx.New(testOptions).Dial(context.Background(), ep); err == nil {
		conn.Close()
		t.Fatal("dial succeeded with a key the host does not know")
	} else if errors.As(err, new(*transport.HostKeyError)) {
		t.Fatalf("authentication failure reported as a host key error: %v", err)
	}
}

// writeKey writes a new ed25519 private key in OpenSSH format, encrypted
// when passphrase is set.
func writeKey(t *testing.T, path, passphrase string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAgentAuth(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	pem, err := os.ReadFile(farm.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: key}); err != nil {
		t.Fatal(err)
	}
	sock := serveAgent(t, keyring)

	wrongKeyring := agent.NewKeyring()
	_, wrongKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := wrongKeyring.Add(agent.AddedKey{PrivateKey: wrongKey}); err != nil {
		t.Fatal(err)
	}
	wrongSock := serveAgent(t, wrongKeyring)

	tests := []struct {
		name       string
		socket     string
		identities []string
		wantOK     bool
	}{
		{"agent holds the key", sock, nil, true},
		{"agent socket missing", filepath.Join(t.TempDir(), "none.sock"), nil, false},
		{"no agent", "", nil, false},
		{"agent key refused, identity file accepted", wrongSock, []string{farm.ClientKey}, true},
		{"agent socket missing, identity file accepted", filepath.Join(t.TempDir(), "none.sock"), []string{farm.ClientKey}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := endpoint(farm, farm.Hosts[0], known)
			ep.Identities = tt.identities
			opts := testOptions
			opts.AgentSocket = tt.socket
			conn, err := sshx.New(opts).Dial(context.Background(), ep)
			if err == nil {
				conn.Close()
			}
			if (err == nil) != tt.wantOK {
				t.Fatalf("dial = %v, want success %v", err, tt.wantOK)
			}
		})
	}
}

// serveAgent serves keyring on a unix socket until the test ends.
func serveAgent(t *testing.T, keyring agent.Agent) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				agent.ServeAgent(keyring, c)
			})
		}
	})
	return sock
}

// TestSlowPasswordPrompt checks that a person typing the password is not
// cut off by ConnectTimeout.
func TestSlowPasswordPrompt(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{Password: "s3cret", NoKeyAuth: true})
	opts := testOptions
	// The bound must leave a loaded machine time for the handshake
	// itself; the person takes three times as long as it allows.
	opts.ConnectTimeout = time.Second
	opts.Password = func(ctx context.Context) (string, error) {
		select { // a person typing slowly
		case <-time.After(3 * opts.ConnectTimeout):
			return "s3cret", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	ep := endpoint(farm, farm.Hosts[0], known)
	ep.Identities = nil
	dialOK(t, sshx.New(opts), ep)
}
