package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStart: a temporary sandbox writes its inventory and known_hosts,
// names its hosts web01.., and is gone after Close.
func TestStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sb, err := Start(ctx, Options{Hosts: 2})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := os.ReadFile(sb.Inventory)
	if err != nil || !strings.Contains(string(inv), `"web02"`) {
		t.Errorf("inventory %s: %v\n%s", sb.Inventory, err, inv)
	}
	if _, err := os.Stat(filepath.Join(sb.Dir, "known_hosts")); err != nil {
		t.Errorf("known_hosts: %v", err)
	}
	if err := sb.FailRelease("web09", "r1"); err == nil {
		t.Errorf("FailRelease of a host the sandbox lacks: no error")
	}
	if err := sb.FailRelease("web01", "r1"); err != nil {
		t.Errorf("FailRelease: %v", err)
	}
	sb.Close()
	if _, err := os.Stat(sb.Dir); !os.IsNotExist(err) {
		t.Errorf("the sandbox directory is still there after Close: %v", err)
	}
}

// TestWriteRelease: a release tree holds the app, its restart script and
// a VERSION naming the release.
func TestWriteRelease(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "2026-11-22")
	if err := WriteRelease(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bin/app", "bin/restart"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o100 == 0 {
			t.Errorf("%s: mode %v, want an executable", name, fi.Mode())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "VERSION")); string(b) != "2026-11-22\n" {
		t.Errorf("VERSION = %q", b)
	}
}
