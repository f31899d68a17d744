package redact

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// Writer returns a writer that masks secrets in everything written to it
// before passing it on to w. It holds back the end of the stream that could
// be the beginning of a secret until the next Write shows whether it is;
// Close writes what is held back (redacted) and does not close w. The
// returned writer is safe for concurrent use.
func (r *Redactor) Writer(w io.Writer) io.WriteCloser {
	return &writer{r: r, w: w}
}

type writer struct {
	r       *Redactor
	w       io.Writer
	mu      sync.Mutex
	pending string
}

// Write masks secrets in p and writes everything that can no longer be part
// of a secret. It reports len(p) when that succeeded.
func (wr *writer) Write(p []byte) (int, error) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	s := wr.pending + string(p)
	secrets := wr.r.snapshot()
	covered := spans(s, secrets)
	cut := safeCut(s, secrets, covered)
	wr.pending = s[cut:]
	if cut == 0 {
		return len(p), nil
	}
	if _, err := io.WriteString(wr.w, mask(s, covered, cut)); err != nil {
		return 0, fmt.Errorf("write redacted output: %w", err)
	}
	return len(p), nil
}

// Close writes the held-back tail, redacted.
func (wr *writer) Close() error {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	s := wr.pending
	wr.pending = ""
	if s == "" {
		return nil
	}
	if _, err := io.WriteString(wr.w, wr.r.String(s)); err != nil {
		return fmt.Errorf("flush redacted output: %w", err)
	}
	return nil
}

// SafeCut returns where s may be cut so that no secret is split between
// s[:n] and what follows it: never inside an occurrence of a secret, and
// before the longest end of s that could be the start of one. It is len(s)
// when no secret is near the end. A line cutter that must cut a long line
// cuts there, so that each piece can be redacted on its own.
func (r *Redactor) SafeCut(s string) int {
	secrets := r.snapshot()
	return safeCut(s, secrets, spans(s, secrets))
}

// safeCut returns how much of s can be written now: everything before the
// longest suffix that is a proper prefix of a secret, moved back to the start
// of a covered span when it would fall inside one.
func safeCut(s string, secrets []string, covered []span) int {
	cut := len(s) - heldTail(s, secrets)
	for _, sp := range covered {
		if sp.start < cut && cut < sp.end {
			return sp.start
		}
	}
	return cut
}

// heldTail returns the length of the longest suffix of s that is a proper
// prefix of some secret. Only suffixes starting with a secret's first byte
// are compared, so that a long secret costs about its length, not its square.
func heldTail(s string, secrets []string) int {
	held := 0
	for _, sec := range secrets {
		for i := len(s) - min(len(sec)-1, len(s)); i < len(s)-held; i++ {
			if s[i] == sec[0] && strings.HasPrefix(sec, s[i:]) {
				held = len(s) - i
				break
			}
		}
	}
	return held
}
