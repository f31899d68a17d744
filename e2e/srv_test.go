//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The hosts' /srv trees are directories of the farm (DIR/hosts/NAME/srv), so
// the suite reads and cleans them from outside, also while a host is down.

// srvPath is path (relative to /srv) on host name, seen from the machine.
func srvPath(name, path string) string {
	return filepath.Join(farm.Dir, "hosts", name, "srv", path)
}

// srvRead is the content of /srv/path on host name, "" when it is missing.
func srvRead(t testing.TB, name, path string) string {
	t.Helper()
	b, err := os.ReadFile(srvPath(name, path))
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("read %s:/srv/%s: %v", name, path, err)
	}
	return string(b)
}

// srvExists reports whether /srv/path exists on host name.
func srvExists(name, path string) bool {
	_, err := os.Lstat(srvPath(name, path))
	return err == nil
}

// cleanSrv removes /srv/path on every host now and again when t ends, so
// tests start from and leave a clean /srv.
func cleanSrv(t testing.TB, hosts []string, paths ...string) {
	t.Helper()
	clean := func() {
		for _, h := range hosts {
			for _, p := range paths {
				os.RemoveAll(srvPath(h, p))
			}
		}
	}
	clean()
	t.Cleanup(clean)
}

// writeIn writes a file under dir and returns its path.
func writeIn(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatalf("create %s: %v", filepath.Dir(p), err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	return p
}

// acceptedLogins counts the logins sshd accepted on each host so far.
func acceptedLogins(t testing.TB, hosts []string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, h := range hosts {
		n[h] = strings.Count(farm.SSHDLog(t, h), "Accepted ")
	}
	return n
}
