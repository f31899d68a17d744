package runbook

import (
	"regexp"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
)

// TestPlanOverrides: -p, --batches, --expect and --sudo are inputs of
// Plan, checked after the runbook's own values.
func TestPlanOverrides(t *testing.T) {
	rb, err := Parse("o.toml", []byte("name = \"o\"\n[[stage]]\nname = \"s\"\n  [[stage.step]]\n  run = \"id\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	hosts := []inventory.Host{{Name: "web01"}, {Name: "web02"}}
	rule := plan.ExpectRule{Match: regexp.MustCompile("y/n"), SendSecret: "pw", Max: 1}
	p, err := rb.Plan(Options{Hosts: hosts, Overrides: plan.Overrides{Parallel: 1, Batches: "1,100%", Sudo: true,
		Expect: []plan.ExpectRule{rule}, Secrets: map[string]plan.Secret{"pw": {Name: "pw", Env: "PW"}}}})
	if err != nil {
		t.Fatal(err)
	}
	st := p.Stages[0]
	step := st.StepsFor("web02")[0]
	if st.Parallel != 1 || len(st.Batches) != 2 || !step.Sudo || len(step.Expect) != 1 || p.Secrets["pw"].Env != "PW" {
		t.Fatalf("plan = %+v, step %+v: want the overrides in it", st, step)
	}
	if _, err := rb.Plan(Options{Hosts: hosts, Overrides: plan.Overrides{Parallel: -2}}); err == nil ||
		!strings.Contains(err.Error(), "--parallel -2") {
		t.Fatalf("Plan with -p -2 = %v, want it refused", err)
	}
}
