package runbook

import (
	"os"
	"testing"

	"github.com/drover-sh/drover/runbooks"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name, file string
		kind       FileKind
		wantErr    bool
	}{
		{"runbook", "testdata/valid/cutover.toml", FileRunbook, false},
		{"inventory", "testdata/valid/inventory.toml", FileInventory, false},
		{"bad inventory", "testdata/invalid_inventory/errors.toml", FileInventory, true},
		{"bad runbook", "testdata/invalid/unknown_key.toml", FileRunbook, true},
		{"syntax error", "testdata/invalid/syntax.toml", FileRunbook, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := Sniff(src); got != tt.kind {
				t.Errorf("Sniff() = %v, want %v", got, tt.kind)
			}
			var c Checker
			if err := c.Add(tt.file, src); (err != nil) != tt.wantErr {
				t.Errorf("Add() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestShippedRunbooks checks that every runbook embedded in the binary
// parses.
func TestShippedRunbooks(t *testing.T) {
	names := runbooks.Names()
	if len(names) == 0 {
		t.Fatal("no shipped runbooks")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			src, err := runbooks.Read(name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Parse("embedded:"+name, src); err != nil {
				t.Errorf("Parse() =\n%v", err)
			}
		})
	}
}

// TestShippedExec checks that the exec runbook takes shell code as its
// command and always runs it in a PTY.
func TestShippedExec(t *testing.T) {
	src, err := runbooks.Read("exec.toml")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Parse("embedded:exec.toml", src)
	if err != nil {
		t.Fatal(err)
	}
	cmd := "uptime; df -h | grep ' /$'"
	p, err := rb.Plan(Options{Sets: map[string]string{"command": cmd}, Hosts: testHosts})
	if err != nil {
		t.Fatalf("Plan() = %v", err)
	}
	step := p.Stages[0].StepsFor("web01")[0]
	if step.Arg != cmd || !step.PTY || !step.NeedsPTY() {
		t.Errorf("exec step = %+v", step)
	}
	if mf := p.Stages[0].MaxFail; !mf.IsPercent || mf.Percent != 100 {
		t.Errorf("max_fail = %+v, want 100%%", mf)
	}
}
