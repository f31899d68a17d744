//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInventoryValueIsNoCode: an inventory var holding shell code, inserted
// raw into a command, is refused before any host is touched (exit 2);
// quoted, it reaches the real host as one word and runs nothing.
func TestInventoryValueIsNoCode(t *testing.T) {
	needDrover(t, "run")
	cleanSrv(t, farm.Names[:1], "pwned", "said")
	base, err := os.ReadFile(farm.Inventory())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inv := writeIn(t, dir, "inventory.toml", string(base)+"\n[hosts.\"web01\".vars]\ndc = \"ams; touch /srv/pwned\"\n")
	tests := []struct {
		name     string
		run      string
		wantCode int
		wantErr  string
	}{
		{"raw", "echo {{ .vars.dc }} > /srv/said", 2, "write {{ quote .vars.dc }} to pass it as one word"},
		{"quoted", "echo {{ quote .vars.dc }} > /srv/said", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb := writeIn(t, dir, tt.name+".toml", "name = \"inject\"\n[[stage]]\nname = \"s\"\n  [[stage.step]]\n  run = \""+tt.run+"\"\n")
			_, stderr, code := droverRun(t, inv, "run", rb, "-H", "web01")
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr lacks %q", tt.wantErr)
			}
			if _, err := os.Stat(srvPath("web01", "pwned")); err == nil {
				t.Errorf("the inventory value ran: %s exists", filepath.Join("/srv", "pwned"))
			}
		})
	}
	if got := strings.TrimSpace(srvRead(t, "web01", "said")); got != "ams; touch /srv/pwned" {
		t.Errorf("the quoted run wrote %q, want the value as one word", got)
	}
}
