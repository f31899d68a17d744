//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSSHSetupHostCertificates: the ca hosts present host certificates
// signed by the farm's host CA, and known_hosts.ca holds only the
// @cert-authority line. The CA vouches for ca01..ca04; ca05's certificate
// names ca01, so it is refused.
func TestSSHSetupHostCertificates(t *testing.T) {
	needDrover(t, "exec")
	caKnown := farm.File("known_hosts.ca")
	want := readOr(caKnown)
	if !strings.HasPrefix(want, "@cert-authority *.farm,") || strings.Count(want, "\n") != 1 {
		t.Fatalf("%s is not a single @cert-authority line:\n%s", caKnown, want)
	}
	good, wrong := farm.CANames[:len(farm.CANames)-1], farm.CANames[len(farm.CANames)-1]
	inv := writeInventory(t, fmt.Sprintf("user = \"deploy\"\nidentity = %q\nknown_hosts = %q\n", farm.Key(), caKnown), farm.CANames)
	t.Run("openssh", func(t *testing.T) {
		for _, name := range good {
			if _, code := openssh(t, nil, caHostArgs(t, caKnown, name)...); code != 0 {
				t.Errorf("%s: exit %d, want 0", name, code)
			}
		}
		out, code := openssh(t, nil, caHostArgs(t, caKnown, wrong)...)
		if code != 255 || !strings.Contains(out, "not a listed principal") {
			t.Errorf("%s: exit %d, want 255 and the principal refused", wrong, code)
		}
		sameFile(t, caKnown, want)
	})
	t.Run("drover: the CA vouches for the hosts", func(t *testing.T) {
		out, _, code := droverNoTTY(t, nil, inv, "exec", "-H", strings.Join(good, ","), "--", "cat /etc/hostname")
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		for _, name := range good {
			if !strings.Contains(out, name) {
				t.Errorf("output lacks %s's answer", name)
			}
		}
		sameFile(t, caKnown, want)
	})
	t.Run("drover: the wrong principal is refused", func(t *testing.T) {
		marker := "/srv/e2e-wrong-principal"
		t.Cleanup(func() { os.Remove(srvPath(wrong, marker[len("/srv/"):])) })
		out, errOut, code := droverNoTTY(t, nil, inv, "exec", "-H", wrong, "--", "touch "+marker)
		if code == 0 {
			t.Errorf("exit 0, want %s refused", wrong)
		}
		if !strings.Contains(out+errOut, wrong) {
			t.Errorf("the output does not name %s", wrong)
		}
		if srvExists(wrong, marker[len("/srv/"):]) {
			t.Errorf("%s ran the command", wrong)
		}
		sameFile(t, caKnown, want)
	})
}

// caHostArgs are OpenSSH's arguments to run true on a farm host, trusting
// only the known_hosts file given.
func caHostArgs(t testing.TB, knownHosts, name string) []string {
	return []string{"-F", "/dev/null", "-i", farm.Key(), "-o", "IdentityAgent=none", "-o", "UserKnownHostsFile=" + knownHosts,
		"-o", "StrictHostKeyChecking=yes", "deploy@" + farm.Addr(t, name), "true"}
}

// TestSSHSetupRevokedHostKey: known_hosts.revoked has no entry for the last
// web host but an @revoked line for its key: it is refused even with
// accept-new, and nothing is written.
func TestSSHSetupRevokedHostKey(t *testing.T) {
	needDrover(t, "exec")
	host := farm.Names[len(farm.Names)-1]
	revoked := readOr(farm.File("known_hosts.revoked"))
	if !strings.Contains(revoked, "@revoked * "+farm.HostKey(t, host)) {
		t.Fatalf("known_hosts.revoked does not revoke %s's key:\n%s", host, revoked)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	t.Run("openssh", func(t *testing.T) {
		writeFile(t, kh, revoked)
		args := caHostArgs(t, kh, host)
		args[len(args)-3] = "StrictHostKeyChecking=accept-new"
		out, code := openssh(t, nil, args...)
		if code != 255 || !strings.Contains(out, "revoked") {
			t.Errorf("exit %d, want 255 and the key revoked", code)
		}
		sameFile(t, kh, revoked)
	})
	t.Run("drover", func(t *testing.T) {
		writeFile(t, kh, revoked)
		marker := "e2e-revoked"
		t.Cleanup(func() { os.Remove(srvPath(host, marker)) })
		out, errOut, code := droverNoTTY(t, nil, farm.Inventory(), "exec", "-H", host, "--known-hosts", kh,
			"--accept-new-host-keys", "--", "touch /srv/"+marker)
		if code == 0 {
			t.Errorf("exit 0, want the revoked key refused")
		}
		if !strings.Contains(strings.ToLower(out+errOut), "revoked") {
			t.Errorf("the output does not say the key is revoked")
		}
		if srvExists(host, marker) {
			t.Errorf("%s ran the command", host)
		}
		sameFile(t, kh, revoked)
	})
}
