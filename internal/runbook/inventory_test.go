package runbook

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/inventory"
)

func TestParseInventory(t *testing.T) {
	file := "testdata/valid/inventory.toml"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := ParseInventory(file, src)
	if err != nil {
		t.Fatalf("ParseInventory() = %v", err)
	}
	want := inventory.Settings{User: "deploy", Port: 22, Identity: "~/.ssh/id_ed25519",
		KnownHosts: "~/.ssh/known_hosts", Jump: "bastion.example.com"}
	if inv.Defaults != want {
		t.Errorf("Defaults = %+v, want %+v", inv.Defaults, want)
	}
	if got := inv.Groups["app"]; !reflect.DeepEqual(got, []string{"@web", "@db"}) {
		t.Errorf("group app = %v", got)
	}
	if p := inv.GroupPos["db"]; p.Line != 11 || p.Col != 1 || p.File != file {
		t.Errorf("GroupPos[db] = %v, want line 11", p)
	}
	h := inv.Hosts["webserv07.example.com"]
	if h.Port != 2222 || h.Vars["dc"] != "ams" || h.Pos.Line != 14 {
		t.Errorf("host entry = %+v", h)
	}
	wantOrder := []string{"webserv[01:12].example.com", "webserv01.example.com", "db1.example.com",
		"db2.example.com", "@web", "@db", "webserv07.example.com"}
	if !reflect.DeepEqual(inv.Order, wantOrder) {
		t.Errorf("Order = %v, want %v", inv.Order, wantOrder)
	}
	if names := inv.Names(); len(names) != 14 || names[0] != "webserv01.example.com" {
		t.Errorf("Names() = %v", names)
	}
}

func TestInvalidInventories(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid_inventory/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".toml"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseInventory(file, src)
			var ds Diagnostics
			if !errors.As(err, &ds) {
				t.Fatalf("ParseInventory() error = %v, want Diagnostics", err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".toml")+".golden", ds.Error()+"\n")
		})
	}
}

func TestCheckInventory(t *testing.T) {
	inv := &inventory.Inventory{File: "inv.toml", Groups: map[string][]string{"web": {"a"}, "db": {"b"}}}
	tests := []struct {
		name, target, want string
	}{
		{"known group", "web", ""},
		{"the all group", "all", ""},
		{"no target", "", ""},
		{"typo", "wbe", "rb.toml:2:1: target: no group wbe in inv.toml; did you mean web?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "name = \"x\"\ntarget = \"" + tt.target + "\"\n[[stage]]\nname = \"s\"\n[[stage.step]]\nrun = \"true\"\n"
			rb, err := Parse("rb.toml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := rb.CheckInventory(inv); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("CheckInventory() = %q, want %q", got, tt.want)
			}
		})
	}
}
