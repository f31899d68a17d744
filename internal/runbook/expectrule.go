package runbook

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/drover-sh/drover/internal/inventory"
)

// passwordPrompt recognises prompts whose answer should be a secret.
var passwordPrompt = regexp.MustCompile(`(?i)pass(word|phrase)|\bpin\b|token|secret`)

// SuggestRule returns a ready-to-paste runbook rule that answers prompt,
// for --explain-prompts: the prompt with its regexp metacharacters quoted,
// anchored at the end of the output, e.g.
//
//	[[stage.step.expect]]
//	match = 'Overwrite \(y/n\)\? $'
//	send  = "..."
//
// A prompt that asks for a password gets send_secret instead of send.
func SuggestRule(prompt string) string {
	prompt = strings.TrimRight(prompt, "\r\n")
	reply := `send  = "..."`
	if passwordPrompt.MatchString(prompt) {
		reply = `send_secret = "..."`
	}
	return fmt.Sprintf("[[stage.step.expect]]\nmatch = %s\n%s\n",
		literalOrQuoted(regexp.QuoteMeta(prompt)+"$"), reply)
}

// literalOrQuoted returns s as a TOML literal string when it can be one
// (a regexp reads better without escapes), else as a basic string.
func literalOrQuoted(s string) string {
	if !strings.ContainsAny(s, "'") && !hasControl(s) {
		return "'" + s + "'"
	}
	return inventory.QuoteTOML(s)
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f })
}
