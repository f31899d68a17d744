//go:build e2e

package sshx_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
	"github.com/drover-sh/drover/internal/transport/transporttest"
)

// e2eOptions keep keepalives short, but long enough for a real sshd that
// is busy setting up a root session on a loaded machine.
var e2eOptions = sshx.Options{
	ConnectTimeout:    10 * time.Second,
	KeepaliveInterval: time.Second,
	KeepaliveCountMax: 3,
}

// TestOpenSSHConformance runs the conformance suite against a real sshd
// started on 127.0.9.1 for this test. It needs root and /usr/sbin/sshd.
func TestOpenSSHConformance(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run sshd")
	}
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		t.Skip("no /usr/sbin/sshd")
	}
	d := startSSHD(t)
	login := nonRootLogin(t)
	transporttest.Run(t, func(t *testing.T) transporttest.Target {
		known := filepath.Join(t.TempDir(), "known_hosts")
		writeLines(t, known, knownhosts.Line([]string{knownhosts.Normalize(d.addr)}, d.hostKey))
		ep := transport.Endpoint{Name: "openssh", Host: d.host, Port: d.port, User: login,
			Identities: []string{d.clientKey}, KnownHosts: []string{known}}
		root := ep
		root.User = "root"
		unknown := ep
		unknown.KnownHosts = []string{filepath.Join(t.TempDir(), "known_hosts")}
		changed := ep
		changed.KnownHosts = []string{writeOtherKey(t, d.addr)}
		accept := e2eOptions
		accept.AcceptNew = true
		return transporttest.Target{
			Dialer:          sshx.New(e2eOptions),
			AcceptNewDialer: sshx.New(accept),
			Login:           ep,
			Root:            &root,
			Unknown:         unknown,
			Changed:         changed,
			Count:           pgrepCount,
		}
	})
}

// pgrepCount counts the processes whose command line contains pattern.
func pgrepCount(t *testing.T, pattern string) int {
	out, err := exec.Command("pgrep", "-f", "-x", pattern).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return 0
		}
		t.Fatalf("pgrep: %v", err)
	}
	n := 0
	for sc := bufio.NewScanner(strings.NewReader(string(out))); sc.Scan(); {
		n++
	}
	return n
}

// nonRootLogin is a local user with a login shell, or root when there is
// none.
func nonRootLogin(t *testing.T) string {
	f, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(f), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) < 7 || fields[0] == "root" || !strings.HasSuffix(fields[6], "sh") {
			continue
		}
		if uid, _ := strconv.Atoi(fields[2]); uid >= 1000 {
			if _, err := user.Lookup(fields[0]); err == nil {
				return fields[0]
			}
		}
	}
	return "root"
}

type sshd struct {
	addr, host string
	port       int
	hostKey    ssh.PublicKey
	clientKey  string
}

// startSSHD runs sshd in the foreground for the test, with its own host
// key and an authorized_keys file holding a fresh client key.
func startSSHD(t *testing.T) *sshd {
	dir, err := os.MkdirTemp("", "sshx-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // sshd reads authorized_keys as the login user

	hostSigner := writePrivateKey(t, filepath.Join(dir, "host_ed25519"))
	clientKey := filepath.Join(dir, "client_ed25519")
	clientSigner := writePrivateKey(t, clientKey)
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(clientSigner.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &sshd{host: "127.0.9.1", port: freePort(t, "127.0.9.1"), hostKey: hostSigner.PublicKey(), clientKey: clientKey}
	d.addr = net.JoinHostPort(d.host, strconv.Itoa(d.port))
	// UsePAM yes: without PAM, sshd refuses every login of a user whose
	// password is locked ("!" in /etc/shadow), keys included.
	cfg := fmt.Sprintf(`ListenAddress %s
HostKey %s/host_ed25519
PidFile %s/sshd.pid
AuthorizedKeysFile %s
StrictModes no
UsePAM yes
PermitRootLogin yes
PasswordAuthentication no
AllowTcpForwarding yes
MaxStartups 100:30:200
LogLevel ERROR
`, d.addr, dir, dir, authorized)
	if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-E", filepath.Join(dir, "sshd.log"), "-f", filepath.Join(dir, "sshd_config"))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	waitListening(t, d.addr)
	return d
}

func writePrivateKey(t *testing.T, path string) ssh.Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func freePort(t *testing.T, host string) int {
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var nd net.Dialer
		if c, err := nd.DialContext(ctx, "tcp", addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("sshd did not listen on %s", addr)
		case <-tick.C:
		}
	}
}
