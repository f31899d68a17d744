package engine_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/engine/enginetest"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// stageSpec is a stage whose steps are the same on every host.
type stageSpec struct {
	plan.Stage
	steps, undo []plan.Step
}

func hostNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("h%02d", i+1)
	}
	return names
}

func newPlan(n int, specs ...stageSpec) *plan.Plan {
	p := &plan.Plan{Name: "test"}
	for _, name := range hostNames(n) {
		p.Hosts = append(p.Hosts, inventory.Host{Name: name, Endpoint: transport.Endpoint{Host: name, User: "deploy"}})
	}
	for _, sp := range specs {
		st := sp.Stage
		if st.Parallel == 0 {
			st.Parallel = 32
		}
		st.Steps, st.Undo = map[string][]plan.Step{}, map[string][]plan.Step{}
		for _, h := range p.Hosts {
			st.Steps[h.Name], st.Undo[h.Name] = sp.steps, sp.undo
		}
		p.Stages = append(p.Stages, st)
	}
	return p
}

func run(name, cmd string) plan.Step { return plan.Step{Name: name, Kind: plan.KindRun, Arg: cmd} }

// recorder is a Sink keeping every event; on, when set, sees each event
// as it is emitted.
type recorder struct {
	mu     sync.Mutex
	events []event.Event
	on     func(event.Event)
}

func (r *recorder) Emit(e event.Event) error {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	if r.on != nil {
		r.on(e)
	}
	return nil
}

func (r *recorder) all() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// kinds returns the events of kind k.
func (r *recorder) kinds(k event.Kind) []event.Event {
	var out []event.Event
	for _, e := range r.all() {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// ran returns the hosts that got host.start in stage, in order.
func (r *recorder) ran(stage string) []string {
	var out []string
	for _, e := range r.kinds(event.HostStart) {
		if e.Stage == stage {
			out = append(out, e.Host)
		}
	}
	return out
}

// scriptedGate answers with answers in order, then Yes, and keeps the
// questions.
type scriptedGate struct {
	mu      sync.Mutex
	answers []engine.Answer
	asked   []engine.Question
}

func (g *scriptedGate) Ask(ctx context.Context, q engine.Question) (engine.Answer, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, q)
	if len(g.answers) == 0 {
		return engine.Yes, nil
	}
	a := g.answers[0]
	g.answers = g.answers[1:]
	return a, nil
}

func (g *scriptedGate) kinds() []engine.QuestionKind {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []engine.QuestionKind
	for _, q := range g.asked {
		out = append(out, q.Kind)
	}
	return out
}

// exitScript answers every command with exit status 0, except cmds listed
// in fail for the hosts listed there.
func exitScript(fail map[string]map[string]int) enginetest.Script {
	return func(host, cmd string) enginetest.Reply {
		return enginetest.Reply{Stdout: cmd + " on " + host + "\n", Exit: fail[host][cmd]}
	}
}

// results maps host -> result from a summary.
func results(s *engine.Summary) map[string]event.Result {
	m := map[string]event.Result{}
	for _, h := range s.Hosts {
		m[h.Host] = h.Result
	}
	return m
}

func mustRun(t *testing.T, ctx context.Context, p *plan.Plan, farm *enginetest.Farm, opts engine.Options) *engine.Summary {
	t.Helper()
	var names []string
	for _, h := range p.Hosts {
		names = append(names, h.Name)
	}
	if opts.Gate == nil {
		opts.Gate = engine.AlwaysYes
	}
	s, err := engine.Run(ctx, p, farm.Conns(names...), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s
}
