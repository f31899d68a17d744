package plan

import (
	"slices"
	"testing"
)

func TestNeededSecrets(t *testing.T) {
	p := &Plan{Stages: []Stage{{
		Steps: map[string][]Step{
			"a": {{Sudo: true}, {Expect: []ExpectRule{{SendSecret: "token"}, {Send: "y"}}}},
			"b": {{EnvSecrets: []string{"api"}}},
		},
		Undo: map[string][]Step{"a": {{Expect: []ExpectRule{{SendSecret: "undo-key"}}}}},
	}}}
	want := []string{"api", SudoSecret, "token", "undo-key"}
	if got := p.NeededSecrets(); !slices.Equal(got, want) {
		t.Fatalf("NeededSecrets = %v, want %v", got, want)
	}
}
