//go:build e2e

package sshx_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// caSSHD is a real sshd run by an SSH CA: it presents a host certificate
// for "e2e.farm", trusts a user CA, knows one authorized key and allows
// three authentication attempts.
type caSSHD struct {
	host       string
	port       int
	dir        string
	hostCA     string // CA key files (FILE, FILE.pub)
	userCA     string
	authorized string // the private key whose public half is authorized
	hostPub    string // the host key's .pub file
}

func startCASSHD(t *testing.T) *caSSHD {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run sshd")
	}
	needTools(t, "/usr/sbin/sshd", "ssh-keygen")
	dir, err := os.MkdirTemp("", "sshx-ca-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // sshd reads authorized_keys as the login user
	subnet := os.Getenv("DROVER_E2E_NET")
	if subnet == "" {
		subnet = "9"
	}
	d := &caSSHD{host: "127.0." + subnet + ".200", dir: dir}
	d.port = freePort(t, d.host)
	hostKey := keygen(t, dir, "host_ed25519", "")
	d.hostPub = hostKey + ".pub"
	d.hostCA, d.userCA = keygen(t, dir, "host_ca", ""), keygen(t, dir, "user_ca", "")
	cert := sign(t, d.hostCA, d.hostPub, "e2e", "-h", "-n", "e2e.farm")
	d.authorized = keygen(t, dir, "authorized", "")
	authorizedKeys := filepath.Join(dir, "authorized_keys")
	copyFile(t, d.authorized+".pub", authorizedKeys)
	os.Chmod(authorizedKeys, 0o644)
	cfg := fmt.Sprintf(`ListenAddress %s:%d
HostKey %s
HostCertificate %s
TrustedUserCAKeys %s.pub
AuthorizedKeysFile %s
PidFile %s/sshd.pid
StrictModes no
UsePAM yes
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxAuthTries 3
LogLevel ERROR
`, d.host, d.port, hostKey, cert, d.userCA, authorizedKeys, dir)
	d.run(t, cfg)
	return d
}

// run starts sshd with cfg in the foreground until the test ends.
func (d *caSSHD) run(t *testing.T, cfg string) {
	conf := filepath.Join(d.dir, "sshd_config")
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-E", filepath.Join(d.dir, "sshd.log"), "-f", conf)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	waitListening(t, net2addr(d.host, d.port))
}

func net2addr(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// knownHosts writes a known_hosts file of the given lines plus the host
// CA for *.farm, and returns it.
func (d *caSSHD) knownHosts(t *testing.T, lines ...string) string {
	t.Helper()
	ca, err := os.ReadFile(d.hostCA + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "known_hosts")
	writeLines(t, file, append([]string{"@cert-authority *.farm " + strings.TrimSpace(string(ca))}, lines...)...)
	return file
}

func (d *caSSHD) endpoint(login, known string) transport.Endpoint {
	return transport.Endpoint{Name: "e2e.farm", Host: d.host, Port: d.port, User: login, HostKeyAlias: "e2e.farm",
		KnownHosts: []string{known}, GlobalKnownHosts: []string{"none"}}
}

// TestOpenSSHCertificateFarm: against a real sshd with a host
// certificate, TrustedUserCAKeys and MaxAuthTries 3, with known_hosts
// holding only the CA line: a user certificate beside its key logs in; a
// host certificate for another name and a revoked host key are refused,
// even with accept-new; an agent with 8 unrelated keys does not use up the
// three tries of IdentitiesOnly with the right (encrypted) IdentityFile.
func TestOpenSSHCertificateFarm(t *testing.T) {
	d := startCASSHD(t)
	login := nonRootLogin(t)
	accept := e2eOptions
	accept.AcceptNew = true

	t.Run("user certificate, host certificate", func(t *testing.T) {
		key := keygen(t, t.TempDir(), "id_user", "")
		sign(t, d.userCA, key+".pub", "user", "-n", login)
		ep := d.endpoint(login, d.knownHosts(t))
		ep.Identities = []string{key}
		conn := dialOK(t, sshx.New(e2eOptions), ep)
		if n, _ := sshx.NegotiatedOf(conn); n.HostKey != "ssh-ed25519-cert-v01@openssh.com" || n.KeyExchange != wantKex(t) {
			t.Errorf("negotiated %+v, want the host certificate and %s", n, wantKex(t))
		}
	})
	t.Run("host certificate for another name", func(t *testing.T) {
		ep := d.endpoint(login, d.knownHosts(t))
		ep.Identities, ep.HostKeyAlias = []string{d.authorized}, "other.farm"
		_, err := sshx.New(accept).Dial(context.Background(), ep)
		var hkErr *transport.HostKeyError
		if !errors.As(err, &hkErr) || hkErr.Problem != transport.HostKeyChanged || hkErr.Line != 1 {
			t.Fatalf("dial = %v, want a refusal at the CA line", err)
		}
	})
	t.Run("revoked host key", func(t *testing.T) {
		pub, err := os.ReadFile(d.hostPub)
		if err != nil {
			t.Fatal(err)
		}
		ep := d.endpoint(login, d.knownHosts(t, "@revoked * "+strings.TrimSpace(string(pub))))
		ep.Identities = []string{d.authorized}
		_, err = sshx.New(accept).Dial(context.Background(), ep)
		var hkErr *transport.HostKeyError
		if !errors.As(err, &hkErr) || hkErr.Problem != transport.HostKeyRevoked || hkErr.Line != 2 {
			t.Fatalf("dial = %v, want the revoked key refused at line 2", err)
		}
	})
	t.Run("MaxAuthTries 3, agent with 8 other keys", func(t *testing.T) {
		d.maxAuthTries(t, login)
	})
}

func (d *caSSHD) maxAuthTries(t *testing.T, login string) {
	dir := t.TempDir()
	sock := startAgent(t)
	for i := range 8 {
		sshAdd(t, sock, "", keygen(t, dir, fmt.Sprintf("other%d", i), ""))
	}
	enc := encryptCopy(t, d.authorized, dir, "id_enc", "pw")
	sshAdd(t, sock, "pw", enc)
	opts := e2eOptions
	opts.AgentSocket = sock
	ep := d.endpoint(login, d.knownHosts(t))
	_, err := sshx.New(opts).Dial(context.Background(), ep)
	if err == nil {
		t.Fatal("the ninth agent key logged in: the server does not limit tries")
	}
	ep.Identities, ep.IdentitiesOnly = []string{enc}, true
	dialOK(t, sshx.New(opts), ep)
}

// wantKex is the key exchange a real sshd of this machine agrees on with
// drover: the post-quantum hybrid when this OpenSSH has it.
func wantKex(t *testing.T) string {
	out, err := exec.Command("ssh", "-Q", "kex").Output()
	if err != nil {
		t.Fatalf("ssh -Q kex: %v", err)
	}
	for _, k := range strings.Fields(string(out)) {
		if k == "mlkem768x25519-sha256" {
			return k
		}
	}
	return "curve25519-sha256"
}
