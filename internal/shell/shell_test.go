package shell

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct{ name, in string }{
		{"plain", "release-2026"},
		{"empty", ""},
		{"spaces", "a b  c"},
		{"single quotes", `it's 'quoted'`},
		{"expansions", "$HOME `id` $(touch pwned) * ?"},
		{"newline and backslash", "a\nb\\c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command("sh", "-c", "printf %s "+Quote(tt.in)).Output()
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.in {
				t.Errorf("sh printed %q, want %q", out, tt.in)
			}
		})
	}
}
