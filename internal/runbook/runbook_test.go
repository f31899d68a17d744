package runbook

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// TestInvalidRunbooks checks the diagnostics of every invalid fixture
// against its golden file; UPDATE_GOLDEN=1 rewrites the golden files.
func TestInvalidRunbooks(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".toml"), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(file, src)
			var ds Diagnostics
			if !errors.As(err, &ds) {
				t.Fatalf("Parse() error = %v, want Diagnostics", err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".toml")+".golden", ds.Error()+"\n")
		})
	}
}

func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != string(want) {
		t.Errorf("diagnostics differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

// testHosts are two hosts as package inventory would resolve them.
var testHosts = []inventory.Host{
	{Name: "web01", Endpoint: transport.Endpoint{Host: "10.0.0.1", User: "deploy"}, Vars: map[string]string{"dc": "ams"}},
	{Name: "web02", Endpoint: transport.Endpoint{Host: "10.0.0.2", User: "ops"}, Vars: map[string]string{"dc": "fra"}},
}

var testNow = time.Date(2026, 11, 21, 15, 4, 5, 0, time.UTC)

func TestValidRunbooks(t *testing.T) {
	tests := []struct {
		file string
		sets map[string]string
	}{
		{"cutover.toml", map[string]string{"source": "dist/app.tar.gz"}},
		{"passwd.toml", map[string]string{"login": "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			file := filepath.Join("testdata/valid", tt.file)
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := Parse(file, src)
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			p, err := rb.Plan(Options{Sets: tt.sets, Hosts: testHosts, Now: testNow, RunID: "r1"})
			if err != nil {
				t.Fatalf("Plan() = %v", err)
			}
			for _, s := range p.Stages {
				for _, h := range testHosts {
					if len(s.StepsFor(h.Name)) == 0 {
						t.Errorf("stage %s has no steps for %s", s.Name, h.Name)
					}
				}
			}
		})
	}
}

// TestCutoverPlan checks the example runbook of the design, rendered.
func TestCutoverPlan(t *testing.T) {
	p := mustPlan(t, "testdata/valid/cutover.toml", Options{
		Sets: map[string]string{"source": "dist/app.tar.gz"}, Hosts: testHosts, Now: testNow,
	})
	if p.Name != "cutover" || p.Release == nil || p.Release.Root != "/srv/app" || p.Release.Keep != 5 {
		t.Fatalf("plan header = %q %+v", p.Name, p.Release)
	}
	if got := p.Params["release"]; got != "2026-11-21" {
		t.Errorf("release = %q, want today of the clock", got)
	}
	if len(p.Stages) != 2 {
		t.Fatalf("stages = %d, want 2", len(p.Stages))
	}
	pull, cut := p.Stages[0], p.Stages[1]
	if pull.Parallel != 20 || cut.Parallel != 2 || cut.Gate != plan.GateBatch || !cut.UndoOnAbort {
		t.Errorf("stage values: pull %+v, cutover %+v", pull, cut)
	}
	if pull.Gate != plan.GateNone || cut.MaxFail != (plan.Threshold{}) {
		t.Errorf("defaults: gate %q, max_fail %+v", pull.Gate, cut.MaxFail)
	}
	wantBatches := []plan.BatchSize{{Count: 1}, {Percent: 25, IsPercent: true}, {Percent: 100, IsPercent: true}}
	if len(cut.Batches) != 3 || cut.Batches[0] != wantBatches[0] || cut.Batches[1] != wantBatches[1] || cut.Batches[2] != wantBatches[2] {
		t.Errorf("batches = %v, want %v", cut.Batches, wantBatches)
	}
	publish := pull.StepsFor("web02")[0]
	if publish.Kind != plan.KindUpload || publish.Arg != "dist/app.tar.gz" || publish.To != "/srv/app/releases/2026-11-21" ||
		publish.SkipIf != "test -d /srv/app/releases/2026-11-21" || publish.Name != "publish" {
		t.Errorf("publish step = %+v", publish)
	}
	steps := cut.StepsFor("web01")
	if steps[0].Name != "switchrel: {{ .release }}" || steps[0].Arg != "2026-11-21" {
		t.Errorf("switchrel step = %+v", steps[0])
	}
	if steps[1].Timeout != 2*time.Minute || !steps[1].Sudo || !steps[1].NeedsPTY() || steps[1].IdleTimeout != 60*time.Second {
		t.Errorf("restart step = %+v", steps[1])
	}
	if w := steps[2]; w.Until.String() != "listening on :8080" || !w.FailOn.MatchString("panic: x") || w.Timeout != time.Minute {
		t.Errorf("watch step = %+v", w)
	}
	if undo := cut.UndoFor("web02"); len(undo) != 2 || undo[0].Arg != "previous" || undo[1].Timeout != 10*time.Minute {
		t.Errorf("undo = %+v", undo)
	}
	if s := p.Secrets["sudo"]; s.Env != "DROVER_SUDO_PASSWORD" || s.Prompt != "sudo password for deploy" {
		t.Errorf("sudo secret = %+v", s)
	}
}

func mustParse(t *testing.T, file string) *Runbook {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Parse(file, src)
	if err != nil {
		t.Fatalf("Parse(%s) = %v", file, err)
	}
	return rb
}

func mustPlan(t *testing.T, file string, opts Options) *plan.Plan {
	t.Helper()
	p, err := mustParse(t, file).Plan(opts)
	if err != nil {
		t.Fatalf("Plan() = %v", err)
	}
	return p
}
