//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSSHSetupUserCertificate: certuser has no authorized_keys entry on
// any OpenSSH host, which trust the farm's user CA (TrustedUserCAKeys).
// id_certuser with id_certuser-cert.pub beside it logs in; the same key
// without its certificate does not.
func TestSSHSetupUserCertificate(t *testing.T) {
	needDrover(t, "exec")
	key := farm.File("id_certuser")
	hosts := farm.Names[:5]
	bare := filepath.Join(t.TempDir(), "id_bare")
	b, err := os.ReadFile(key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if err := os.WriteFile(bare, b, 0o600); err != nil {
		t.Fatalf("write %s: %v", bare, err)
	}
	run := func(t *testing.T, key, name string) (string, int) {
		return openssh(t, nil, "-F", "/dev/null", "-i", key, "-o", "IdentityAgent=none", "-o", "UserKnownHostsFile="+farm.KnownHosts(),
			"-o", "StrictHostKeyChecking=yes", "certuser@"+farm.Addr(t, name), "id -un")
	}
	t.Run("openssh", func(t *testing.T) {
		if _, code := run(t, bare, hosts[0]); code != 255 {
			t.Errorf("the key without its certificate: exit %d, want 255 (certuser must have no authorized key)", code)
		}
		for _, name := range hosts {
			if out, code := run(t, key, name); code != 0 || out != "certuser\n" {
				t.Errorf("%s: exit %d, output %q, want certuser", name, code, out)
			}
		}
	})
	t.Run("drover", func(t *testing.T) {
		inv := writeInventory(t, fmt.Sprintf("user = \"certuser\"\nidentity = %q\nknown_hosts = %q\n", key, farm.KnownHosts()), hosts)
		// sshd logs a certificate login as "ED25519-CERT SHA256:..." of the key.
		cert := "ED25519-CERT " + keyFingerprint(t, key+".pub")
		before := logins(t, hosts, "certuser", cert)
		out, _, code := droverNoTTY(t, nil, inv, "exec", "-H", strings.Join(hosts, ","), "--", "id -un")
		if code != 0 || !strings.Contains(out, "certuser") {
			t.Errorf("exit %d, want 0 and certuser", code)
		}
		wantNewLogins(t, before, logins(t, hosts, "certuser", cert), hosts, "of certuser with "+cert)
	})
}
