package sshx_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// TestEncryptedKeyInAgent: an encrypted identity whose key a real
// ssh-agent holds is used through the agent; nobody is asked for its
// passphrase.
func TestEncryptedKeyInAgent(t *testing.T) {
	needTools(t, "ssh-keygen")
	farm, known := startFarm(t, 3, sshtest.Options{})
	tests := []struct {
		name  string
		extra []string // ssh-keygen -p options
		pub   bool     // keep FILE.pub beside it
	}{
		{"openssh format, public key inside", nil, false},
		{"pem format, public key in FILE.pub", []string{"-m", "PEM"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			enc := encryptCopy(t, farm.ClientKey, dir, "id_enc", "pass phrase", tt.extra...)
			if tt.pub {
				copyFile(t, farm.ClientKey+".pub", enc+".pub")
			}
			sock := startAgent(t)
			sshAdd(t, sock, "pass phrase", enc)
			opts := testOptions
			opts.AgentSocket = sock
			opts.Passphrase = func(context.Context, string) (string, error) {
				t.Error("passphrase asked for a key the agent holds")
				return "", errors.New("no")
			}
			d := sshx.New(opts)
			for _, h := range farm.Hosts {
				ep := endpoint(farm, h, known)
				ep.Identities = []string{enc}
				ep.IdentitiesOnly = true
				dialOK(t, d, ep)
			}
		})
	}
}

// TestPassphraseAskedOnce: an encrypted identity the agent does not hold
// is opened with one question for every host, a wrong answer asked again.
func TestPassphraseAskedOnce(t *testing.T) {
	needTools(t, "ssh-keygen")
	const hosts = 5
	farm, known := startFarm(t, hosts, sshtest.Options{})
	enc := encryptCopy(t, farm.ClientKey, t.TempDir(), "id_enc", "right")
	var calls atomic.Int32
	opts := testOptions
	opts.Passphrase = func(_ context.Context, file string) (string, error) {
		if file != enc {
			t.Errorf("passphrase asked for %s, want %s", file, enc)
		}
		if calls.Add(1) == 1 {
			return "wrong", nil
		}
		return "right", nil
	}
	d := sshx.New(opts)
	var wg sync.WaitGroup
	for _, h := range farm.Hosts {
		ep := endpoint(farm, h, known)
		ep.Identities = []string{enc}
		wg.Go(func() { dialOK(t, d, ep) })
	}
	wg.Wait()
	if got := calls.Load(); got != 2 {
		t.Fatalf("passphrase asked %d times for %d hosts (first answer wrong), want 2", got, hosts)
	}
}

// TestEncryptedKeyNobodyToAsk: without a passphrase function, a host that
// wants an encrypted key not in the agent fails with an error naming the
// file and ssh-add.
func TestEncryptedKeyNobodyToAsk(t *testing.T) {
	needTools(t, "ssh-keygen")
	farm, known := startFarm(t, 1, sshtest.Options{})
	enc := encryptCopy(t, farm.ClientKey, t.TempDir(), "id_enc", "secret")
	ep := endpoint(farm, farm.Hosts[0], known)
	ep.Identities = []string{enc}
	_, err := sshx.New(testOptions).Dial(context.Background(), ep)
	var encErr *sshx.EncryptedKeyError
	if !errors.As(err, &encErr) || encErr.File != enc {
		t.Fatalf("dial = %v, want an EncryptedKeyError for %s", err, enc)
	}
	if !strings.Contains(err.Error(), "ssh-add "+enc) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %q does not say ssh-add %s (or shows the passphrase)", err, enc)
	}
	needed, err := sshx.New(testOptions).PassphraseNeeded(ep)
	if err != nil || len(needed) != 1 || needed[0] != enc {
		t.Fatalf("PassphraseNeeded = %v, %v; want [%s]", needed, err, enc)
	}
}

// TestMaxAuthTriesOrder: a server allowing 3 attempts and an agent with 8
// unrelated keys. The configured identity is offered first and logs in;
// the same keys with the right one only in the agent, last, do not (so
// the server really counts).
func TestMaxAuthTriesOrder(t *testing.T) {
	needTools(t, "ssh-keygen")
	farm, known := startFarm(t, 1, sshtest.Options{MaxAuthTries: 3})
	dir := t.TempDir()
	var unrelated []string
	for i := range 8 {
		unrelated = append(unrelated, keygen(t, dir, fmt.Sprintf("unrelated%d", i), ""))
	}
	agentFirst := encryptCopy(t, farm.ClientKey, dir, "id_enc", "pw")
	tests := []struct {
		name           string
		identities     []string
		identitiesOnly bool
		addRight       bool // the right key is also in the agent, after the 8
		wantOK         bool
	}{
		{"identity file, agent keys after it", []string{farm.ClientKey}, false, false, true},
		{"identities only", []string{farm.ClientKey}, true, false, true},
		{"encrypted identity signed by the agent", []string{agentFirst}, true, true, true},
		{"right key only in the agent, ninth", nil, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := startAgent(t)
			sshAdd(t, sock, "", unrelated...)
			if tt.addRight {
				sshAdd(t, sock, "pw", agentFirst)
			}
			if n := strings.Count(run(t, []string{"SSH_AUTH_SOCK=" + sock}, "ssh-add", "-l"), "\n"); n < 8 {
				t.Fatalf("agent holds %d keys, want 8 or more", n)
			}
			opts := testOptions
			opts.AgentSocket = sock
			ep := endpoint(farm, farm.Hosts[0], known)
			ep.Identities, ep.IdentitiesOnly = tt.identities, tt.identitiesOnly
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

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
