package runbook

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/drover-sh/drover/internal/plan"
)

// defaultParallel is how many hosts a stage has in flight unless it says.
const defaultParallel = 32

// stage is one [[stage]]: its plan values, and its steps still as
// templates.
type stage struct {
	plan  plan.Stage // Steps and Undo unset
	steps []step
	undo  []step
}

func (d *runbookDecoder) stages(t *table, global []expectRule) []stage {
	tables := d.subs(t, "stage", "[[stage]]")
	if _, ok := t.m["stage"]; !ok {
		d.errorf(nil, "runbook needs at least one [[stage]]")
	}
	var out []stage
	seen := map[string]bool{}
	for _, st := range tables {
		s := d.stage(st, global)
		if name := s.plan.Name; name != "" && seen[name] {
			d.keyErrorf(st, "name", "another [[stage]] is named %q already", name)
		}
		seen[s.plan.Name] = true
		out = append(out, s)
	}
	return out
}

func (d *runbookDecoder) stage(t *table, global []expectRule) stage {
	var s stage
	s.plan.Name, _ = d.str(t, "name")
	if v, ok := t.m["name"]; !ok || v == "" {
		d.errorf(t.path, "[[stage]] needs a name")
	}
	s.plan.Parallel = defaultParallel
	if n, ok := d.integer(t, "parallel"); ok {
		if n < 1 {
			d.keyErrorf(t, "parallel", "want 1 or more, got %d", n)
		}
		s.plan.Parallel = max(1, n)
	}
	s.plan.Batches = d.batches(t)
	s.plan.MaxFail = d.maxFail(t)
	s.plan.Gate = d.gate(t)
	s.plan.UndoOnAbort = d.boolean(t, "undo_on_abort")
	s.steps = d.steps(t, "step", "[[stage.step]]", global)
	if _, ok := t.m["step"]; !ok {
		d.errorf(t.path, "[[stage]] needs at least one [[stage.step]]")
	}
	s.undo = d.steps(t, "undo", "[[stage.undo]]", global)
	if _, ok := t.m["undo"]; s.plan.UndoOnAbort && !ok {
		d.keyErrorf(t, "undo_on_abort", "no [[stage.undo]] steps to run")
	}
	d.finish(t)
	return s
}

// batches reads a list of counts and percentages. Each entry is the size of
// one batch and the last one repeats (plan.Batches); entries of the same
// sort must not shrink.
func (d *runbookDecoder) batches(t *table) []plan.BatchSize {
	a, ok := d.array(t, "batches")
	if !ok {
		return nil
	}
	if len(a) == 0 {
		d.keyErrorf(t, "batches", "empty list; leave batches out for one batch of every host")
	}
	var out []plan.BatchSize
	last := map[bool]plan.BatchSize{} // by IsPercent
	for i, v := range a {
		path := append(t.keyPath("batches"), strconv.Itoa(i))
		b, err := batchSize(v)
		if err != nil {
			d.errorf(path, "%s: %v", t.where("batches"), err)
			continue
		}
		if prev, ok := last[b.IsPercent]; ok && b.SmallerThan(prev) {
			d.errorf(path, "%s: %s after %s: batches must not shrink", t.where("batches"), b, prev)
		}
		last[b.IsPercent] = b
		out = append(out, b)
	}
	return out
}

func batchSize(v any) (plan.BatchSize, error) {
	switch v := v.(type) {
	case int64:
		return plan.ParseBatchSize(strconv.FormatInt(v, 10))
	case string:
		return plan.ParseBatchSize(v)
	}
	return plan.BatchSize{}, fmt.Errorf("want a count or a percentage like \"25%%\", got %s", tomlType(v))
}

// maxFail reads a count >= 0 or a percentage "N%".
func (d *runbookDecoder) maxFail(t *table) plan.Threshold {
	v, ok := t.get("max_fail")
	if !ok {
		return plan.Threshold{}
	}
	switch v := v.(type) {
	case int64:
		if v >= 0 {
			return plan.Threshold{Count: int(v)}
		}
	case string:
		if p, ok := strings.CutSuffix(strings.TrimSpace(v), "%"); ok {
			if f, err := strconv.ParseFloat(p, 64); err == nil && f >= 0 && f <= 100 {
				return plan.Threshold{Percent: f, IsPercent: true}
			}
		}
	}
	d.keyErrorf(t, "max_fail", "want a count >= 0 or a percentage like \"10%%\", got %v", v)
	return plan.Threshold{}
}

// gate reads none | stage | batch | host, default none.
func (d *runbookDecoder) gate(t *table) plan.Gate {
	s, ok := d.str(t, "gate")
	if !ok {
		return plan.GateNone
	}
	switch g := plan.Gate(s); g {
	case plan.GateNone, plan.GateStage, plan.GateBatch, plan.GateHost:
		return g
	}
	d.keyErrorf(t, "gate", "%q is not one of none, stage, batch, host", s)
	return plan.GateNone
}

// smaller compares two batch sizes of the same sort.
