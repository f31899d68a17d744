package sshx_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// certifyHost signs h's host key with the CA key file (ssh-keygen -s -h)
// and makes h present the certificate.
func certifyHost(t *testing.T, h *sshtest.Host, ca string, args ...string) {
	t.Helper()
	pub := filepath.Join(t.TempDir(), "host_key.pub")
	if err := os.WriteFile(pub, ssh.MarshalAuthorizedKey(h.HostKey), 0o644); err != nil {
		t.Fatal(err)
	}
	cert := sign(t, ca, pub, h.Name, append([]string{"-h"}, args...)...)
	if err := h.SetCertificate(readCert(t, cert)); err != nil {
		t.Fatal(err)
	}
}

// TestHostKeyVerdicts judges hosts that present CA-signed host
// certificates (made by ssh-keygen) and plain keys against known_hosts
// files with @cert-authority, @revoked and global entries. Unknown keys
// are accepted in every case (accept-new): only a refusal that survives it
// is a refusal.
func TestHostKeyVerdicts(t *testing.T) {
	needTools(t, "ssh-keygen")
	dir := t.TempDir()
	ca := keygen(t, dir, "host_ca", "")
	otherCA := keygen(t, dir, "other_ca", "")
	caLine := "@cert-authority *.farm " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(readPub(t, ca+".pub"))))
	otherLine := "@cert-authority *.farm " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(readPub(t, otherCA+".pub"))))

	farm, _ := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	certifyHost(t, h, ca, "-n", "web1.farm")
	plainLine := func(name string) string {
		return knownhosts.Line([]string{name}, h.HostKey)
	}
	revokedLine := "@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(h.HostKey)))
	revokedCA := "@revoked * " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(readPub(t, ca+".pub"))))
	other, err := generateEd25519()
	if err != nil {
		t.Fatal(err)
	}

	tests := []verdictCase{
		{"certificate from a trusted CA", "web1.farm", []string{caLine}, nil, 0, "", "", false},
		{"CA in the global file", "web1.farm", nil, []string{"# global", caLine}, 0, "", "", false},
		{"wrong principal", "web2.farm", []string{"# ca", caLine}, nil, transport.HostKeyChanged, "user:2", "not a listed principal", false},
		{"CA that did not sign it", "web1.farm", []string{otherLine}, nil, transport.HostKeyChanged, "user:1", "not signed by a trusted authority", false},
		{"revoked key", "web1.farm", []string{caLine, revokedLine}, nil, transport.HostKeyRevoked, "user:2", "", false},
		{"revoked CA", "web1.farm", []string{caLine}, []string{revokedCA}, transport.HostKeyRevoked, "global:1", "", false},
		{"revoked unknown key", "new.example", []string{revokedLine}, nil, transport.HostKeyRevoked, "user:1", "", false},
		{"plain key known, no CA", "web1.farm", []string{plainLine("web1.farm")}, nil, 0, "", "", false},
		{"other key in the global file", "web1.farm", nil, []string{knownhosts.Line([]string{"web1.farm"}, other.PublicKey())}, transport.HostKeyChanged, "global:1", "", false},
		{"unknown, no CA", "new.example", nil, nil, 0, "", "", true},
		{"negated pattern leaves it unknown", "web1.farm", []string{"@cert-authority *.farm,!web1.farm " + caLine[len("@cert-authority *.farm "):]}, nil, 0, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, farm, h) })
	}
}

// verdictCase is one host key situation of TestHostKeyVerdicts.
type verdictCase struct {
	name    string
	alias   string
	user    []string // lines of the user's known_hosts
	global  []string // lines of the global file
	want    transport.HostKeyProblem
	at      string // for refusals: the line that decided, "user:N" or "global:N"
	detail  string // in the error's Detail
	written bool   // accept-new wrote a line
}

// run dials h with accept-new under the case's files and checks the
// verdict, the line that decided it and whether anything was written.
func (tt verdictCase) run(t *testing.T, farm *sshtest.Farm, h *sshtest.Host) {
	kdir := t.TempDir()
	user := filepath.Join(kdir, "known_hosts")
	global := filepath.Join(kdir, "global_known_hosts")
	if tt.user != nil {
		writeLines(t, user, tt.user...)
	}
	if tt.global != nil {
		writeLines(t, global, tt.global...)
	}
	before, _ := os.ReadFile(user)
	ep := endpoint(farm, h, user)
	ep.GlobalKnownHosts = []string{global}
	ep.HostKeyAlias = tt.alias
	opts := testOptions
	opts.AcceptNew = true
	conn, err := sshx.New(opts).Dial(context.Background(), ep)
	after, _ := os.ReadFile(user)
	if written := len(after) > len(before); written != tt.written {
		t.Errorf("accept-new wrote %v, want %v:\n%s", written, tt.written, after)
	}
	if tt.want == 0 {
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conn.Close()
		return
	}
	var hkErr *transport.HostKeyError
	if !errors.As(err, &hkErr) || hkErr.Problem != tt.want {
		t.Fatalf("dial = %v, want host key problem %v", err, tt.want)
	}
	at := strings.Replace(strings.Replace(tt.at, "user", user, 1), "global", global, 1)
	if got := fmt.Sprintf("%s:%d", hkErr.File, hkErr.Line); got != at {
		t.Errorf("refusal at %s, want %s", got, at)
	}
	if !strings.Contains(hkErr.Detail, tt.detail) {
		t.Errorf("detail %q, want %q", hkErr.Detail, tt.detail)
	}
}

// TestExpiredHostCertificate: a host certificate past its validity is
// refused under a CA that names the host.
func TestExpiredHostCertificate(t *testing.T) {
	needTools(t, "ssh-keygen")
	dir := t.TempDir()
	ca := keygen(t, dir, "host_ca", "")
	farm, _ := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	certifyHost(t, h, ca, "-n", "web1.farm", "-V", "20200101:20200102")
	known := filepath.Join(dir, "known_hosts")
	writeLines(t, known, "@cert-authority *.farm "+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(readPub(t, ca+".pub")))))
	ep := endpoint(farm, h, known)
	ep.HostKeyAlias = "web1.farm"
	ep.GlobalKnownHosts = []string{"none"}
	_, err := sshx.New(testOptions).Dial(context.Background(), ep)
	var hkErr *transport.HostKeyError
	if !errors.As(err, &hkErr) || hkErr.Problem != transport.HostKeyChanged || !strings.Contains(hkErr.Detail, "expired") {
		t.Fatalf("dial = %v, want a refusal for an expired certificate", err)
	}
}
