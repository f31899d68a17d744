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
		{"shell", []string{ssh, toml, lipgloss}},
		{"runbook", []string{ssh, lipgloss}},
		{"transport/sshx", []string{toml, lipgloss}},
		{"ui", []string{ssh, toml}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			for _, p := range goListDeps(t, module+"/internal/"+tt.pkg) {
				for _, f := range tt.forbidden {
					if p.reaches(f) {
						t.Errorf("internal/%s depends on %s through %s", tt.pkg, f, p.path)
					}
				}
			}
		})
	}
}

const module = "github.com/drover-sh/drover"

// dep is one package in a dependency closure and its direct imports.
type dep struct {
	path    string
	imports []string
}

// reaches reports whether the package brings in forbidden: by being it, or,
// for one of drover's own packages, by importing it directly. Third-party
// packages are judged by what drover's code asks of them: goexpect imports
// x/crypto/ssh for a feature drover does not use, which keeps nothing of
// SSH in the expect layer.
func (d dep) reaches(forbidden string) bool {
	under := func(p string) bool { return p == forbidden || strings.HasPrefix(p, forbidden+"/") }
	if under(d.path) && forbidden != "golang.org/x/crypto/ssh" {
		return true
	}
	if !strings.HasPrefix(d.path, module+"/") {
		return false
	}
	for _, imp := range d.imports {
		if under(imp) {
			return true
		}
	}
	return false
}

func goListDeps(t *testing.T, pkg string) []dep {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, pkg).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	var deps []dep
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			deps = append(deps, dep{path: f[0], imports: f[1:]})
		}
	}
	return deps
}
