package sshx_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// TestUserCertificate: a host that trusts a user CA and knows no key of
// the user lets in a certificate signed by ssh-keygen -s: picked up as
// FILE-cert.pub, named by CertificateFile, or held by the agent. A
// certificate for another principal, or expired, is refused.
func TestUserCertificate(t *testing.T) {
	needTools(t, "ssh-keygen")
	dir := t.TempDir()
	ca := keygen(t, dir, "user_ca", "")
	farm, known := startFarm(t, 1, sshtest.Options{UserCA: readPub(t, ca+".pub")})

	tests := []struct {
		name   string
		args   []string // ssh-keygen -s options
		setup  string   // "beside", "certfile" or "agent"
		wantOK bool
	}{
		{"certificate beside the key", []string{"-n", "deploy"}, "beside", true},
		{"CertificateFile", []string{"-n", "deploy"}, "certfile", true},
		{"certificate in the agent", []string{"-n", "deploy"}, "agent", true},
		{"wrong principal", []string{"-n", "someone"}, "beside", false},
		{"expired", []string{"-n", "deploy", "-V", "20200101:20200102"}, "beside", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kdir := t.TempDir()
			key := keygen(t, kdir, "id_user", "")
			cert := sign(t, ca, key+".pub", "user", tt.args...)
			ep := endpoint(farm, farm.Hosts[0], known)
			ep.Identities = []string{key}
			opts := testOptions
			placeCert(t, tt.setup, key, cert, &ep, &opts)
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

// placeCert moves the certificate where a case wants it: beside the key
// (as ssh-keygen left it), elsewhere as a CertificateFile, or only in a
// real agent.
func placeCert(t *testing.T, setup, key, cert string, ep *transport.Endpoint, opts *sshx.Options) {
	t.Helper()
	switch setup {
	case "certfile":
		moved := filepath.Join(t.TempDir(), "elsewhere-cert.pub")
		if err := os.Rename(cert, moved); err != nil {
			t.Fatal(err)
		}
		ep.Certificates = []string{moved}
	case "agent":
		opts.AgentSocket = startAgent(t)
		sshAdd(t, opts.AgentSocket, "", key) // ssh-add loads FILE-cert.pub too
		if err := os.Remove(cert); err != nil {
			t.Fatal(err)
		}
		ep.Identities = nil
	}
}
