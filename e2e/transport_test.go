//go:build e2e

package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
	"github.com/drover-sh/drover/internal/transport/transporttest"
)

// TestTransportConformance runs the transport conformance suite with the
// real transport against one farm host: real OpenSSH, a non-root login
// (deploy) and root.
func TestTransportConformance(t *testing.T) {
	const host = "web05"
	opts := sshx.Options{ConnectTimeout: 5 * time.Second, KeepaliveInterval: time.Second}
	accept := opts
	accept.AcceptNew = true
	transporttest.Run(t, func(t *testing.T) transporttest.Target {
		login := transport.Endpoint{Name: host, Host: farm.Addr(t, host), Port: 22, User: "deploy",
			Identities: []string{farm.Key()}, KnownHosts: []string{farm.KnownHosts()}}
		root := login
		root.User = "root"
		unknown := login
		unknown.KnownHosts = []string{filepath.Join(t.TempDir(), "known_hosts")}
		changed := login
		changed.KnownHosts = []string{otherKeyKnownHosts(t, login.Addr())}
		return transporttest.Target{
			Dialer:          sshx.New(opts),
			AcceptNewDialer: sshx.New(accept),
			Login:           login,
			Root:            &root,
			Unknown:         unknown,
			Changed:         changed,
			Count: func(t *testing.T, cmdline string) int {
				return len(hostProcs(t, host, strings.Fields(cmdline)...))
			},
		}
	})
}

// otherKeyKnownHosts writes a known_hosts file that holds a fresh key, not
// the host's, for addr.
func otherKeyKnownHosts(t *testing.T, addr string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatalf("wrap key: %v", err)
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, path, knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)+"\n")
	return path
}
