package sshx

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/transport"
)

// TestAcceptNewWritesOnce releases many first connections to one host at
// the same instant, each from its own Dialer (as from separate processes,
// so only the file lock orders them), some with the host's key and some
// with another: the file ends with exactly one line, and every dial that
// came with the other key is refused as changed.
func TestAcceptNewWritesOnce(t *testing.T) {
	const writers = 40
	keys := [2]ssh.PublicKey{newKey(t), newKey(t)}
	known := filepath.Join(t.TempDir(), "known_hosts")
	ep := transport.Endpoint{Host: "web1.farm", KnownHosts: []string{known}, GlobalKnownHosts: []string{"none"}}
	start := make(chan struct{})
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		d := New(Options{AcceptNew: true})
		hc, err := d.newHostKeyCheck(ep)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			<-start
			errs[i] = hc.verify(keys[i%2])
		})
	}
	close(start)
	wg.Wait()
	b, err := os.ReadFile(known)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 1 {
		t.Fatalf("known_hosts has %d lines, want 1:\n%s", n, b)
	}
	written, _, _, _, err := ssh.ParseAuthorizedKey(b[len("web1.farm "):])
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if equalKeys(keys[i%2], written) != (err == nil) {
			t.Errorf("writer %d with key %d: %v", i, i%2, err)
		}
	}
}

func newKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
