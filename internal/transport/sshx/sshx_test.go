package sshx_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
	"github.com/drover-sh/drover/internal/transport/transporttest"
)

// testOptions are for connections a test means to keep. The connect
// timeout only guards against a hang, and keepalives go every second: a
// machine loaded by the race detector can hold an in-process answer, or
// twenty handshakes at once, for longer than a tight limit allows. Tests
// of the limits set their own.
var testOptions = sshx.Options{
	ConnectTimeout:    transporttest.Timeout,
	KeepaliveInterval: time.Second,
	KeepaliveCountMax: 3,
}

// lossOptions are fast keepalives, for the tests of a host that stops
// answering.
var lossOptions = sshx.Options{
	ConnectTimeout:    5 * time.Second,
	KeepaliveInterval: 50 * time.Millisecond,
	KeepaliveCountMax: 3,
}

// startFarm starts an in-process farm of n hosts for the test, with a
// known_hosts file holding their keys.
func startFarm(t *testing.T, n int, opts sshtest.Options) (*sshtest.Farm, string) {
	t.Helper()
	opts.Hosts = n
	opts.Dir = t.TempDir()
	opts.KillDelay = 50 * time.Millisecond
	farm, err := sshtest.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start farm: %v", err)
	}
	t.Cleanup(func() { farm.Close() })
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := farm.KnownHosts(known); err != nil {
		t.Fatal(err)
	}
	return farm, known
}

// endpoint is the login endpoint of h with the farm's client key.
func endpoint(farm *sshtest.Farm, h *sshtest.Host, known string) transport.Endpoint {
	return transport.Endpoint{
		Name:       h.Name,
		Host:       h.Addr,
		Port:       h.Port,
		User:       "deploy",
		Identities: []string{farm.ClientKey},
		KnownHosts: []string{known},
	}
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T) transporttest.Target {
		farm, known := startFarm(t, 1, sshtest.Options{Shell: "/bin/bash"})
		h := farm.Hosts[0]
		login := endpoint(farm, h, known)
		unknown := login
		unknown.KnownHosts = []string{filepath.Join(t.TempDir(), ".ssh", "known_hosts")}
		changed := login
		changed.KnownHosts = []string{writeOtherKey(t, h.Address())}
		accept := testOptions
		accept.AcceptNew = true
		return transporttest.Target{
			Dialer:          sshx.New(testOptions),
			AcceptNewDialer: sshx.New(accept),
			Login:           login,
			Unknown:         unknown,
			Changed:         changed,
			Count:           func(*testing.T, string) int { return h.Processes() },
		}
	})
}

// writeOtherKey writes a known_hosts file with a comment line and a fresh
// key for addr, and returns its path.
func writeOtherKey(t *testing.T, addr string) string {
	t.Helper()
	signer, err := generateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	line := "# another key\n" + knownhosts.Line([]string{knownhosts.Normalize(addr)}, signer.PublicKey()) + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
