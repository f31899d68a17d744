package plan

import (
	"maps"
	"slices"
)

// SudoSecret is the secret `sudo = true` answers sudo's prompt with.
const SudoSecret = "sudo"

// NeededSecrets lists, sorted, the secrets any step or undo step of p may
// reply with or hand to a local command.
func (p *Plan) NeededSecrets() []string {
	seen := map[string]bool{}
	for _, stg := range p.Stages {
		for _, steps := range []map[string][]Step{stg.Steps, stg.Undo} {
			for _, list := range steps {
				for _, st := range list {
					st.addSecrets(seen)
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// addSecrets marks the secrets the step may use in seen.
func (s Step) addSecrets(seen map[string]bool) {
	if s.Sudo {
		seen[SudoSecret] = true
	}
	for _, name := range s.EnvSecrets {
		seen[name] = true
	}
	for _, r := range s.Expect {
		if r.SendSecret != "" {
			seen[r.SendSecret] = true
		}
	}
}
