package expect

import (
	"fmt"
	"time"
)

// StuckError reports output that went idle with no rule to answer it: the
// command waits for input nobody gives, or a rule's answer was refused.
type StuckError struct {
	Prompt string // the last line the host printed, e.g. "Overwrite (y/n)? "
}

func (e *StuckError) Error() string { return fmt.Sprintf("stuck at prompt: %q", e.Prompt) }

// FailError reports a fail rule or FailOn that matched the output.
type FailError struct {
	Rule    int    // index in Options.Rules; -1 for FailOn
	Pattern string // the regexp that matched
	Line    string // the output line holding the match, secrets masked
	Msg     string // the rule's message; empty for FailOn
}

func (e *FailError) Error() string {
	if e.Rule < 0 {
		return fmt.Sprintf("output matched fail_on %q: %q", e.Pattern, e.Line)
	}
	return e.Msg
}

// TimeoutError reports that Options.Timeout passed before the command ended.
type TimeoutError struct {
	After    time.Duration
	LastLine string // the last line the host printed, secrets masked
}

func (e *TimeoutError) Error() string {
	if e.LastLine == "" {
		return fmt.Sprintf("timed out after %s", e.After)
	}
	return fmt.Sprintf("timed out after %s; last output: %q", e.After, e.LastLine)
}
