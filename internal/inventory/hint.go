package inventory

import (
	"errors"
	"fmt"
	"strings"
)

// Errors callers may branch on. Resolve wraps them, usually in a *HintError.
var (
	ErrNoTargets    = errors.New("no targets: use -g or -H")
	ErrUnknownGroup = errors.New("unknown group")
	ErrEmptyTarget  = errors.New("no hosts to work on")
)

// HintError is a one-line error with a suggestion for the person at the
// terminal ("did you mean ...?"). Error returns only Err's text; the CLI
// prints Hint on a line of its own.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// withHint wraps err with a hint; an empty hint leaves err as it is.
func withHint(err error, hint string) error {
	if hint == "" {
		return err
	}
	return &HintError{Err: err, Hint: hint}
}

// suggest returns the candidate closest to word by edit distance, or "" when
// none is close enough to be a plausible typo.
func suggest(word string, candidates []string) string {
	best, bestDist := "", len(word)/3+2
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// unknownGroupHint proposes the nearest group, else lists the groups.
func unknownGroupHint(name string, groups []string) string {
	if s := suggest(name, groups); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	if len(groups) == 0 {
		return "the inventory has no groups; name hosts with -H"
	}
	return "groups: " + strings.Join(groups, ", ")
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
