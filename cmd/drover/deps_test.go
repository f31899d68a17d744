package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the package boundaries of the design: the engine and the
// expect layer stay free of terminals, TOML and SSH, and only one package
// each may use lipgloss and the TOML library.
func TestDeps(t *testing.T) {
	const (
		lipgloss = "github.com/charmbracelet/lipgloss"
		toml     = "github.com/BurntSushi/toml"
		ssh      = "golang.org/x/crypto/ssh"
	)
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"engine", []string{lipgloss, toml, ssh}},
		{"expect", []string{ssh, toml, lipgloss}},
		{"redact", []string{ssh, toml, lipgloss}},
		{"plan", []string{ssh, toml, lipgloss}},
		{"release", []string{ssh, toml, lipgloss}},
		{"inventory", []string{ssh, toml, lipgloss}},
		{"transport", []string{ssh, toml, lipgloss}},
		{"event", []string{ssh, toml, lipgloss}},
		{"journal", []string{ssh, toml, lipgloss}},
		{"runbook", []string{ssh, lipgloss}},
		{"transport/sshx", []string{toml, lipgloss}},
		{"ui", []string{ssh, toml}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			deps := goListDeps(t, "github.com/drover-sh/drover/internal/"+tt.pkg)
			for _, d := range deps {
				for _, f := range tt.forbidden {
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("internal/%s depends on %s", tt.pkg, d)
					}
				}
			}
		})
	}
}

func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		if strings.Contains(stderr, "no Go files") || strings.Contains(stderr, "no required module provides") {
			t.Skipf("%s has no code yet", pkg)
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	return strings.Fields(string(out))
}
