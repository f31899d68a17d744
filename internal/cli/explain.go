package cli

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/runbook"
	"github.com/drover-sh/drover/internal/shell"
)

// stuckPrompt finds the prompt in a "stuck at prompt: "..."" note.
var stuckPrompt = regexp.MustCompile(`stuck at prompt: (".*)`)

// explainPrompts prints, for --explain-prompts, each prompt hosts were left
// stuck at with a rule that would answer it: ready to paste into a runbook,
// or as an --expect flag for exec.
func explainPrompts(w io.Writer, sum *engine.Summary, exec bool) {
	hosts := map[string][]string{}
	var order []string
	for _, h := range sum.Hosts {
		m := stuckPrompt.FindStringSubmatch(h.Note)
		if m == nil {
			continue
		}
		quoted, err := strconv.QuotedPrefix(m[1])
		if err != nil {
			continue
		}
		prompt, _ := strconv.Unquote(quoted)
		if hosts[prompt] == nil {
			order = append(order, prompt)
		}
		hosts[prompt] = append(hosts[prompt], h.Host)
	}
	for _, prompt := range order {
		fmt.Fprintf(w, "\n%s stopped at the prompt %q, which no rule answers.\n", inventory.Compress(hosts[prompt]), prompt)
		rule := runbook.SuggestRule(prompt)
		if exec {
			re := regexp.QuoteMeta(strings.TrimRight(prompt, "\r\n")) + "$"
			fmt.Fprintf(w, "answer it with:\n  --expect %s\n", shell.Quote(re+"=>REPLY"))
			continue
		}
		fmt.Fprintf(w, "a rule for the step (set the reply):\n\n%s", indent(rule, "  "))
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}
