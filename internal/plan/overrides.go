package plan

import (
	"fmt"
	"maps"
	"slices"

	"github.com/drover-sh/drover/internal/inventory"
)

// Overrides are the command line's changes to what a runbook says: -p,
// --batches, and exec's --expect and --sudo. They are inputs of building
// a plan, checked with the rest of it, never applied to a built one.
type Overrides struct {
	Parallel int    // hosts in flight in every stage; 0 keeps each stage's
	Batches  string // every stage's batch sizes, as "1,25%,100%"; "" keeps each stage's
	// Expect rules are added after each step's own rules, on every step.
	Expect []ExpectRule
	// Secrets declares the secrets the Expect rules reply with.
	Secrets map[string]Secret
	Sudo    bool // every step runs with sudo
}

// Validate checks the overrides, naming the flag of a bad value.
func (o Overrides) Validate() error {
	if _, err := o.batchSizes(); err != nil {
		return err
	}
	if o.Parallel < 0 {
		return fmt.Errorf("--parallel %d: want 1 or more", o.Parallel)
	}
	return nil
}

// batchSizes parses Batches; nil when it is empty.
func (o Overrides) batchSizes() ([]BatchSize, error) {
	if o.Batches == "" {
		return nil, nil
	}
	var sizes []BatchSize
	last := map[bool]BatchSize{} // by IsPercent
	for _, s := range inventory.SplitList(o.Batches) {
		b, err := ParseBatchSize(s)
		if err != nil {
			return nil, fmt.Errorf("--batches: %w", err)
		}
		if prev, ok := last[b.IsPercent]; ok && b.SmallerThan(prev) {
			return nil, fmt.Errorf("--batches: %s after %s: batches must not shrink", b, prev)
		}
		last[b.IsPercent] = b
		sizes = append(sizes, b)
	}
	return sizes, nil
}

// Stage returns s with the overrides, sharing nothing it changed with s.
// The overrides must be valid.
func (o Overrides) Stage(s Stage) Stage {
	if o.Parallel > 0 {
		s.Parallel = o.Parallel
	}
	if sizes, _ := o.batchSizes(); sizes != nil {
		s.Batches = sizes
	}
	if len(o.Expect) == 0 && !o.Sudo {
		return s
	}
	steps := make(map[string][]Step, len(s.Steps))
	for host, list := range s.Steps {
		list = slices.Clone(list)
		for i := range list {
			list[i].Expect = append(slices.Clip(list[i].Expect), o.Expect...)
			list[i].Sudo = list[i].Sudo || o.Sudo
		}
		steps[host] = list
	}
	s.Steps = steps
	return s
}

// AddSecrets returns decl with the overrides' secrets declared too, in a
// new map.
func (o Overrides) AddSecrets(decl map[string]Secret) map[string]Secret {
	if len(o.Secrets) == 0 {
		return decl
	}
	out := maps.Clone(decl)
	if out == nil {
		out = map[string]Secret{}
	}
	maps.Copy(out, o.Secrets)
	return out
}
