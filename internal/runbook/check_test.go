package runbook

import (
	"os"
	"testing"
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
			if err := Check(tt.file, src); (err != nil) != tt.wantErr {
				t.Errorf("Check() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
