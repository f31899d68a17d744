//go:build e2e

package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestHostsShowsNegotiated: drover hosts -v connects and shows what each
// connection negotiated. A host presenting a certificate (known_hosts holds
// only the CA) negotiates the certificate's algorithm, as OpenSSH's client
// does with the same file; the key exchange is one OpenSSH knows.
func TestHostsShowsNegotiated(t *testing.T) {
	needDrover(t, "hosts")
	host := "ca01"
	caKnown := farm.File("known_hosts.ca")
	out, code := openssh(t, nil, append([]string{"-v"}, caHostArgs(t, caKnown, host)...)...)
	m := regexp.MustCompile(`kex: host key algorithm: (\S+)`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("ssh -v: exit %d, no host key algorithm in its output", code)
	}
	wantHostKey := m[1]
	shown, errOut, code := droverNoTTY(t, nil, farm.Inventory(), "hosts", "-H", host, "--known-hosts", caKnown, "-v")
	if code != 0 {
		t.Fatalf("drover hosts -v: exit %d\n%s%s", code, shown, errOut)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(shown, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[len(f)-1] == "(negotiated)" {
			rows[f[0]] = f[1]
		}
	}
	if rows["host_key_algorithm"] != wantHostKey {
		t.Errorf("host_key_algorithm = %q, OpenSSH negotiated %q\n%s", rows["host_key_algorithm"], wantHostKey, shown)
	}
	known, err := exec.Command("ssh", "-Q", "kex").Output()
	if err != nil {
		t.Fatalf("ssh -Q kex: %v", err)
	}
	if k := rows["kex"]; k == "" || !strings.Contains("\n"+string(known), "\n"+k+"\n") {
		t.Errorf("kex = %q, not one of OpenSSH's:\n%s", k, known)
	}
	if rows["cipher"] == "" {
		t.Errorf("no cipher shown\n%s", shown)
	}
	// Nothing is negotiated, and nothing contacted, without -v.
	plain, _, _ := droverNoTTY(t, nil, farm.Inventory(), "hosts", "-H", host)
	if strings.Contains(plain, "negotiated") {
		t.Errorf("drover hosts without -v shows negotiated rows:\n%s", plain)
	}
}
