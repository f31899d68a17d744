package expect

import (
	"fmt"
	"regexp"
	"strings"
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
		tomlString(regexp.QuoteMeta(prompt)+"$"), reply)
}

// tomlString returns s as a TOML string: a literal string when it can be
// one, else a basic string with escapes.
func tomlString(s string) string {
	if !strings.ContainsAny(s, "'") && !hasControl(s) {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f })
}
