package runbook

import (
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

func TestSuggestRule(t *testing.T) {
	tests := []struct {
		name   string
		prompt string
		want   string
	}{
		{"metacharacters quoted, anchored", "Overwrite (y/n)? ",
			"[[stage.step.expect]]\nmatch = 'Overwrite \\(y/n\\)\\? $'\nsend  = \"...\"\n"},
		{"password gets a secret", "New password: ",
			"[[stage.step.expect]]\nmatch = 'New password: $'\nsend_secret = \"...\"\n"},
		{"quote needs a basic string", "Delete 'prod' [y/N]? ",
			"[[stage.step.expect]]\nmatch = \"Delete 'prod' \\\\[y/N\\\\]\\\\? $\"\nsend  = \"...\"\n"},
		{"trailing CR dropped", "Continue? \r",
			"[[stage.step.expect]]\nmatch = 'Continue\\? $'\nsend  = \"...\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SuggestRule(tt.prompt)
			if got != tt.want {
				t.Fatalf("SuggestRule(%q) =\n%s\nwant\n%s", tt.prompt, got, tt.want)
			}
			re := regexp.MustCompile(tomlUnquote(t, got))
			if !re.MatchString("some output\n" + strings.TrimRight(tt.prompt, "\r")) {
				t.Errorf("suggested %s does not match the prompt", re)
			}
		})
	}
}

// tomlUnquote decodes the match value of a suggested rule with the TOML
// decoder, as a runbook would read it.
func tomlUnquote(t *testing.T, rule string) string {
	t.Helper()
	var v struct {
		Stage struct {
			Step struct {
				Expect []struct{ Match string }
			}
		}
	}
	if _, err := toml.Decode(rule, &v); err != nil || len(v.Stage.Step.Expect) != 1 {
		t.Fatalf("rule %q does not decode: %v", rule, err)
	}
	return v.Stage.Step.Expect[0].Match
}
