package rollout

import (
	"fmt"
	"testing"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
)

func TestThreadsFor(t *testing.T) {
	hosts := func(n int) []inventory.Host {
		hs := make([]inventory.Host, n)
		for i := range hs {
			hs[i].Name = fmt.Sprintf("web%04d", i)
		}
		return hs
	}
	stage := func(parallel int, kinds ...plan.Kind) plan.Stage {
		var steps []plan.Step
		for _, k := range kinds {
			steps = append(steps, plan.Step{Kind: k})
		}
		return plan.Stage{Parallel: parallel, Steps: map[string][]plan.Step{"web0000": steps}}
	}
	tests := []struct {
		name string
		pl   plan.Plan
		cpus int
		want int
	}{
		{"exec at 50 in flight", plan.Plan{Hosts: hosts(1000), Stages: []plan.Stage{stage(50, plan.KindRun)}}, 8, 1},
		{"a stage of 200 in flight", plan.Plan{Hosts: hosts(1000), Stages: []plan.Stage{stage(200, plan.KindRun)}}, 8, 4},
		{"more in flight than CPUs", plan.Plan{Hosts: hosts(2000), Stages: []plan.Stage{stage(2000, plan.KindRun)}}, 2, 2},
		{"parallel above the farm", plan.Plan{Hosts: hosts(10), Stages: []plan.Stage{stage(500, plan.KindRun)}}, 8, 1},
		{"pre-flight's 64 on a large farm", plan.Plan{Hosts: hosts(1000), Stages: []plan.Stage{stage(1, plan.KindRun)}}, 8, 1},
		{"the widest stage", plan.Plan{Hosts: hosts(1000), Stages: []plan.Stage{stage(1, plan.KindRun), stage(130, plan.KindRun)}}, 8, 3},
		{"an upload", plan.Plan{Hosts: hosts(3), Stages: []plan.Stage{stage(1, plan.KindRun), stage(1, plan.KindUpload)}}, 8, 8},
		{"a fetch", plan.Plan{Hosts: hosts(3), Stages: []plan.Stage{stage(1, plan.KindFetch)}}, 8, 8},
		{"an upload in undo", plan.Plan{Hosts: hosts(3), Stages: []plan.Stage{{Parallel: 1,
			Undo: map[string][]plan.Step{"web0000": {{Kind: plan.KindUpload}}}}}}, 8, 8},
		{"a tunnel", plan.Plan{Hosts: hosts(3), Tunnels: []plan.Tunnel{{}}, Stages: []plan.Stage{stage(1, plan.KindRun)}}, 4, 4},
	}
	for _, tt := range tests {
		if got := threadsFor(&tt.pl, tt.cpus); got != tt.want {
			t.Errorf("%s: threadsFor = %d, want %d", tt.name, got, tt.want)
		}
	}
}
