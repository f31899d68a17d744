package sshx_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/drover-sh/drover/internal/transport/sshx"
)

// TestCheckCertificate: a CertificateFile must hold a user certificate
// when it exists (made here by the real ssh-keygen); a missing one is
// skipped, as ssh skips it.
func TestCheckCertificate(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ssh-keygen is needed")
		}
		t.Skip("ssh-keygen is not installed")
	}
	dir := t.TempDir()
	keygen := func(name string, args ...string) {
		out, err := exec.Command("ssh-keygen", append([]string{"-q"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen %s: %v\n%s", name, err, out)
		}
	}
	ca, key := filepath.Join(dir, "ca"), filepath.Join(dir, "id")
	keygen("ca", "-t", "ed25519", "-N", "", "-f", ca)
	keygen("id", "-t", "ed25519", "-N", "", "-f", key)
	keygen("user cert", "-s", ca, "-I", "u", "-n", "deploy", key+".pub")
	keygen("host cert", "-s", ca, "-I", "h", "-h", "-n", "web1", ca+".pub")
	tests := []struct {
		name, file string
		wantErr    bool
	}{
		{"user certificate", key + "-cert.pub", false},
		{"missing", filepath.Join(dir, "missing-cert.pub"), false},
		{"plain public key", key + ".pub", true},
		{"host certificate", ca + "-cert.pub", true},
		{"private key", key, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sshx.CheckCertificate(tt.file); (err != nil) != tt.wantErr {
				t.Fatalf("CheckCertificate(%s) = %v, want error %v", tt.file, err, tt.wantErr)
			}
		})
	}
}
