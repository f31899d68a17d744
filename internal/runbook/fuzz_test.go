package runbook

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/transport"
)

// fuzzMaxInput bounds the inputs the fuzz targets try: real files are a
// few kilobytes, and a bigger input only makes an iteration slower.
const fuzzMaxInput = 64 << 10

// addSeeds adds every file matching the globs (relative to this package) to
// the seed corpus, and the inline seeds.
func addSeeds(f *testing.F, globs []string, inline ...string) {
	for _, g := range globs {
		paths, _ := filepath.Glob(g)
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range inline {
		f.Add([]byte(s))
	}
}

// checkDiagnostics fails unless err is Diagnostics for file, each at a
// place that exists in src (or at no place).
func checkDiagnostics(t *testing.T, err error, file string, src []byte) {
	var ds Diagnostics
	if !errors.As(err, &ds) || len(ds) == 0 {
		t.Fatalf("error %T %v is not Diagnostics", err, err)
	}
	lines := bytes.Count(src, []byte("\n")) + 1
	for _, d := range ds {
		if d.File != file || d.Line < 0 || d.Line > lines || d.Col < 0 || d.Msg == "" {
			t.Fatalf("diagnostic %+v: want file %s, a line within 1..%d, a message", d, file, lines)
		}
	}
}

// FuzzRunbook: decoding and validating any bytes never panics; a refusal is
// positioned Diagnostics; an accepted runbook renders a plan for two hosts
// without panicking.
func FuzzRunbook(f *testing.F) {
	addSeeds(f, []string{"testdata/valid/*.toml", "testdata/invalid/*.toml", "../../runbooks/*.toml", "../../examples/*/runbook.toml"},
		"name = \"x\"\n[[stage]]\nname = \"s\"\n  [[stage.step]]\n  run = \"echo {{ .host }}\"\n",
		"name = \"x\"\n[params.p]\ndefault = \"{{ today }}\"\n[[stage]]\nname = \"s\"\nbatches = [\"1\", \"25%\"]\n  [[stage.step]]\n  run = \"{{ .p }}\"\n  [[stage.step.expect]]\n  match = \"(?i)pass\"\n  send = \"x\"\n",
		"[", "name = 1", "a = \"\\u0000\"")
	hosts := []inventory.Host{
		{Name: "web01", Endpoint: transport.Endpoint{Host: "127.0.0.1"}},
		{Name: "web02", Endpoint: transport.Endpoint{Host: "127.0.0.2"}, Vars: map[string]string{"dc": "ams"}},
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > fuzzMaxInput {
			return
		}
		rb, err := Parse("rb.toml", src)
		if err != nil {
			checkDiagnostics(t, err, "rb.toml", src)
			return
		}
		if rb.Name() == "" {
			t.Fatal("an accepted runbook has no name")
		}
		_, err = rb.Plan(Options{Hosts: hosts, RunID: "r1", Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
		var ds Diagnostics
		if err != nil && !errors.As(err, &ds) {
			t.Fatalf("Plan error %T %v is not Diagnostics", err, err)
		}
	})
}

// FuzzInventory: decoding, validating and resolving any inventory never
// panics, refusals are positioned, and an accepted inventory resolves every
// group to a bounded list of distinct hosts.
func FuzzInventory(f *testing.F) {
	addSeeds(f, []string{"testdata/valid/inventory.toml", "testdata/invalid_inventory/*.toml", "../../examples/*/inventory.toml"},
		"[groups]\nweb = [\"web[01:04]\"]\napp = [\"@web\", \"db1\"]\n[hosts.\"web02\"]\nport = 2222\nvars = { dc = \"ams\" }\n",
		"[groups]\na = [\"@b\"]\nb = [\"@a\"]\n",
		"[groups]\ng0 = [\"h\"]\ng1 = [\"@g0\", \"@g0\"]\ng2 = [\"@g1\", \"@g1\"]\ng3 = [\"@g2\", \"@g2\"]\n",
		"[groups]\ng = [\"h[0000000000000000000001:0000000000000000000300]\"]\n",
		"[groups]\ng = [\"h["+strings.Repeat("0", 2000)+"1:65536]\", \"a[1:65536]\", \"b[1:65536]\", \"c[1:9]\"]\n",
		"[defaults]\nuser = \"deploy\"\njump = \"bastion,u@b2:2222\"\n[hosts.\"db[1:2]\"]\nhostname = \"10.0.0.1\"\n")
	local := inventory.Local{User: "me", Home: "/nonexistent"}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > fuzzMaxInput {
			return
		}
		inv, err := ParseInventory("inv.toml", src)
		if err != nil {
			checkDiagnostics(t, err, "inv.toml", src)
			return
		}
		for _, g := range append(inv.GroupNames(), inventory.AllGroup) {
			hosts, err := inv.Resolve(inventory.Selector{Groups: []string{g}}, inventory.Flags{}, local, "")
			if err != nil {
				continue // an empty group, for one
			}
			if len(hosts) > 2*65536 {
				t.Fatalf("group %s resolved to %d hosts", g, len(hosts))
			}
			seen := map[string]bool{}
			for _, h := range hosts {
				if seen[h.Name] || h.Name == "" || strings.ContainsAny(h.Name, "[]") {
					t.Fatalf("group %s: host %q twice, empty or unexpanded", g, h.Name)
				}
				seen[h.Name] = true
			}
		}
	})
}
