package sshx_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"

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
	encrypted := writeEncryptedKey(t, dir)
	tests := []struct {
		name      string
		file      string
		wantText  string
		encrypted bool // want *sshx.EncryptedKeyError
	}{
		{"missing", filepath.Join(dir, "missing"), "missing", false},
		{"directory", dir, dir, false},
		{"not a key", garbage, garbage, false},
		{"encrypted", encrypted, "ssh-agent", true},
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
			var encErr *sshx.EncryptedKeyError
			if got := errors.As(err, &encErr); got != tt.encrypted {
				t.Fatalf("error %q: EncryptedKeyError %v, want %v", err, got, tt.encrypted)
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

// writeEncryptedKey writes a passphrase-protected ed25519 key.
func writeEncryptedKey(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "id_encrypted")
	writeKey(t, path, "passphrase")
	return path
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
