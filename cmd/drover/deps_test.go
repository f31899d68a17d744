package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/drover-sh/drover"

// Third-party modules drover's packages use.
const (
	lipgloss = "github.com/charmbracelet/lipgloss"
	toml     = "github.com/BurntSushi/toml"
	ssh      = "golang.org/x/crypto/ssh"
)

// allowed is what each package of the module may import besides the
// standard library: its own packages by path inside the module, other
// modules' packages by full path. A package missing here fails the test,
// so a new package says what it needs.
var allowed = map[string][]string{
	"cmd/drover": {"internal/cli"},
	"runbooks":   nil,
	"internal/cli": {"internal/engine", "internal/event", "internal/inventory", "internal/journal",
		"internal/plan", "internal/release", "internal/report", "internal/rollout", "internal/runbook",
		"internal/sandbox", "internal/shell", "internal/target", "internal/transport/persist", "internal/transport/sshx", "internal/ui",
		"runbooks", "github.com/spf13/cobra", "github.com/spf13/pflag"},
	"internal/engine": {"internal/event", "internal/expect", "internal/haproxy", "internal/inventory",
		"internal/plan", "internal/shell", "internal/transport"},
	"internal/engine/enginetest": {"internal/transport"},
	"internal/event":             nil,
	"internal/expect":            {"internal/redact", "internal/shell", "github.com/google/goexpect"},
	"internal/haproxy":           nil,
	"internal/inventory":         {"internal/transport"},
	"internal/journal":           {"internal/event"},
	"internal/plan":              {"internal/inventory"},
	"internal/redact":            nil,
	"internal/release":           {"internal/shell", "internal/transport", "internal/ui/safetext", "golang.org/x/sync/errgroup"},
	"internal/report":            {"internal/event"},
	"internal/rollout": {"internal/engine", "internal/event", "internal/inventory", "internal/journal",
		"internal/plan", "internal/redact", "internal/release", "internal/runbook", "internal/secret", "internal/shell",
		"internal/target", "internal/transport"},
	"internal/runbook": {"internal/inventory", "internal/plan", "internal/release", "internal/shell", toml},
	"internal/sandbox": {"internal/sshtest"},
	"internal/secret":  {"internal/inventory", "internal/plan", "internal/redact"},
	"internal/shell":   nil,
	"internal/sshtest": {"internal/inventory", "internal/transport", "github.com/creack/pty",
		"github.com/gliderlabs/ssh", ssh, ssh + "/knownhosts", "golang.org/x/sys/unix"},
	"internal/target": {"internal/inventory", "internal/runbook", "internal/secret", "internal/transport",
		"internal/transport/persist", "internal/transport/sshx"},
	"internal/transport":               nil,
	"internal/transport/persist":       {"internal/transport", "internal/transport/sshx"},
	"internal/transport/sshx":          {"internal/transport", ssh, ssh + "/agent", ssh + "/knownhosts"},
	"internal/transport/transporttest": {"internal/transport"},
	"internal/ui": {"internal/engine", "internal/event", "internal/inventory", "internal/journal",
		"internal/plan", "internal/release", "internal/transport", "internal/ui/safetext", lipgloss, lipgloss + "/table", "github.com/charmbracelet/x/ansi",
		"github.com/muesli/termenv", "golang.org/x/term"},
	"internal/ui/safetext": nil,
}

// rule is a boundary of the design that holds through every dependency,
// not only direct imports: pkg never reaches any of never.
type rule struct {
	pkg   string
	never []string
	why   string
}

var rules = []rule{
	{"internal/engine", []string{"internal/cli", "internal/ui", "internal/journal", "internal/runbook", lipgloss, toml, ssh},
		"the engine runs plans; it renders, journals and parses nothing"},
	{"internal/plan", []string{"internal/engine", "internal/runbook", "internal/cli", "internal/ui", "internal/journal",
		"internal/release", "internal/expect", "internal/secret", toml, lipgloss, ssh},
		"a plan is values; it imports nothing above it"},
	{"internal/expect", []string{"internal/runbook", "internal/plan", toml, lipgloss, ssh},
		"expect answers prompts and knows no runbook format"},
	{"internal/release", []string{"internal/engine", "internal/cli", "internal/runbook", toml, lipgloss, ssh},
		"release policy speaks to hosts through transport only"},
	{"internal/rollout", []string{"internal/cli", lipgloss},
		"a rollout runs and records; what a person sees is the caller's"},
	{"internal/secret", []string{"internal/cli", "internal/ui", "internal/engine", lipgloss, ssh},
		"secrets are asked for through a Prompter the caller gives"},
	{"internal/target", []string{"internal/cli", "internal/engine", "internal/journal", lipgloss},
		"target resolves hosts and builds a dialer; it runs, renders and journals nothing"},
	{"internal/transport", []string{ssh, lipgloss, toml}, "transport is interfaces; SSH lives in transport/sshx"},
	{"internal/runbook", []string{ssh, lipgloss}, "runbook parses and renders plans"},
	{"internal/ui", []string{ssh, toml}, "ui renders"},
}

// TestDeps checks the module's real import graph.
func TestDeps(t *testing.T) {
	for _, v := range depViolations(goListGraph(t)) {
		t.Error(v)
	}
}

// TestDepsCatchesPlantedImports shows the check failing for imports a
// change could plant: the engine rendering, expect writing TOML, a package
// with no allow-list entry.
func TestDepsCatchesPlantedImports(t *testing.T) {
	g := goListGraph(t)
	plant := func(pkg, imp string) graph {
		planted := graph{}
		for k, v := range g {
			planted[k] = v
		}
		p := planted[module+"/"+pkg]
		p.imports = append(slices.Clone(p.imports), imp)
		planted[module+"/"+pkg] = p
		return planted
	}
	tests := []struct {
		name string
		g    graph
		want string
	}{
		{"engine imports ui", plant("internal/engine", module+"/internal/ui"), "internal/engine imports internal/ui"},
		{"engine reaches journal", plant("internal/event", module+"/internal/journal"), "internal/engine reaches internal/journal"},
		{"expect imports toml", plant("internal/expect", toml), "internal/expect imports " + toml},
		{"plan imports runbook", plant("internal/plan", module+"/internal/runbook"), "internal/plan reaches internal/runbook"},
		{"rollout renders", plant("internal/rollout", module+"/internal/ui"), "internal/rollout imports internal/ui"},
		{"target runs", plant("internal/target", module+"/internal/engine"), "internal/target reaches internal/engine"},
		{"unlisted package", graph{module + "/internal/newpkg": {}}, "internal/newpkg has no allow-list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := depViolations(tt.g)
			if !slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, tt.want) }) {
				t.Fatalf("violations %q: none says %q", vs, tt.want)
			}
		})
	}
}

// node is one package of the graph: whether it is in the standard
// library, and its direct imports.
type node struct {
	std     bool
	imports []string
}

// graph is every package the module's packages depend on, by import path.
type graph map[string]node

// depViolations lists every import outside an allow-list and every rule a
// package breaks.
func depViolations(g graph) []string {
	var out []string
	for _, path := range slices.Sorted(func(yield func(string) bool) {
		for p := range g {
			if !yield(p) {
				return
			}
		}
	}) {
		rel, ok := strings.CutPrefix(path, module+"/")
		if !ok {
			continue
		}
		out = append(out, allowViolations(g, rel)...)
	}
	for _, r := range rules {
		for _, reached := range reaches(g, module+"/"+r.pkg) {
			if slices.ContainsFunc(r.never, func(n string) bool { return under(trim(reached), n) }) {
				out = append(out, r.pkg+" reaches "+trim(reached)+": "+r.why)
			}
		}
	}
	return out
}

// allowViolations checks the direct imports of the module's package rel.
func allowViolations(g graph, rel string) []string {
	allow, listed := allowed[rel]
	if !listed {
		return []string{rel + " has no allow-list entry in TestDeps"}
	}
	var out []string
	for _, imp := range g[module+"/"+rel].imports {
		if n, ok := g[imp]; (ok && n.std) || (!ok && !strings.Contains(strings.Split(imp, "/")[0], ".")) {
			continue
		}
		if !slices.Contains(allow, trim(imp)) {
			out = append(out, rel+" imports "+trim(imp)+", which is not in its allow-list")
		}
	}
	return out
}

// reaches lists every package pkg depends on, directly or not. Other
// modules' packages are followed no further: goexpect imports x/crypto/ssh
// for a feature drover does not use, which keeps nothing of SSH in expect.
func reaches(g graph, pkg string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, imp := range g[p].imports {
			if seen[imp] {
				continue
			}
			seen[imp] = true
			if strings.HasPrefix(imp, module+"/") {
				walk(imp)
			}
		}
	}
	walk(pkg)
	return slices.Sorted(func(yield func(string) bool) {
		for p := range seen {
			if !yield(p) {
				return
			}
		}
	})
}

func trim(path string) string { return strings.TrimPrefix(path, module+"/") }

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

// goListGraph is the import graph of every package of the module.
func goListGraph(t *testing.T) graph {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{.Standard}} {{join .Imports " "}}`, module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	g := graph{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			g[f[0]] = node{std: f[1] == "true", imports: f[2:]}
		}
	}
	return g
}
