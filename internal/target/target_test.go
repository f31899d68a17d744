package target

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/drover-sh/drover/internal/inventory"
)

func envOf(vars map[string]string) Env {
	return Env{
		Getenv:    func(k string) string { return vars[k] },
		LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
	}
}

// TestLoadInventory: the default ./inventory.toml may be missing (-H works
// without one); an inventory the user named, by -i or $DROVER_INVENTORY,
// must exist, and the error says how to name one.
func TestLoadInventory(t *testing.T) {
	t.Chdir(t.TempDir())
	missing := filepath.Join(t.TempDir(), "inventory.toml")
	tests := []struct {
		name    string
		opts    Options
		vars    map[string]string
		wantErr bool
	}{
		{"default missing", Options{}, nil, false},
		{"-i missing", Options{Inventory: missing}, nil, true},
		{"$DROVER_INVENTORY missing", Options{}, map[string]string{"DROVER_INVENTORY": missing}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := tt.opts.LoadInventory(envOf(tt.vars))
			var h *inventory.HintError
			switch {
			case !tt.wantErr && (err != nil || inv != nil):
				t.Fatalf("LoadInventory = %v, %v; want no inventory and no error", inv, err)
			case tt.wantErr && (!errors.Is(err, os.ErrNotExist) || !errors.As(err, &h)):
				t.Fatalf("LoadInventory error %v: want a missing file, with a hint", err)
			}
		})
	}
}

// TestVias: a load balancer's via host must be a host of the inventory.
func TestVias(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "inventory.toml")
	src := "[hosts.lb1]\nhostname = \"10.0.0.1\"\n"
	if err := os.WriteFile(inv, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"HOME": dir, "DROVER_SYSTEM_SSH_CONFIG": "none"})
	o := Options{Inventory: inv, SSHConfig: "none"}
	if hosts, err := o.Vias(env, []string{"lb1"}); err != nil || len(hosts) != 1 || hosts[0].Name != "lb1" {
		t.Fatalf("Vias(lb1) = %v, %v", hosts, err)
	}
	if _, err := o.Vias(env, []string{"10.0.0.9"}); err == nil {
		t.Fatalf("Vias(10.0.0.9): no error for a host outside the inventory")
	}
}
