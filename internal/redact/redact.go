// Package redact removes secret values from text before it is shown, logged
// or journaled.
//
// A Redactor holds the secrets of a run. String masks every occurrence of
// any secret in a string; Writer wraps an io.Writer and masks secrets in a
// stream, holding back a tail that could be the start of a secret so that a
// secret split across two writes is never written. Occurrences that overlap
// (one secret a prefix of another, or two secrets sharing bytes) are masked
// together as one.
//
// Matching is on exact bytes. Redact does not recognise a secret that was
// transformed on its way (re-encoded, quoted, cut by a terminal escape) and
// it cannot recall bytes written before a secret was added. Every non-empty
// secret is redacted, however short: a secret of one or two characters will
// also mask innocent text that happens to contain those bytes.
package redact

import (
	"slices"
	"strings"
	"sync"
)

// Mask replaces every occurrence of a secret.
const Mask = "********"

// Redactor masks a set of secrets. It is safe for concurrent use; secrets may
// be added while writers are in use (for example a secret asked for at a
// prompt in the middle of a run).
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// New returns a Redactor for the given secrets; empty ones are ignored.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		r.Add(s)
	}
	return r
}

// minLineSecret is the shortest line of a multi-line secret that is masked
// on its own: shorter lines ("}", "==") say little and are common text.
const minLineSecret = 4

// Add adds a secret. Empty secrets and secrets already known are ignored.
// A secret of several lines (a key file) is masked whole, and each of its
// lines of at least minLineSecret bytes (without surrounding white space)
// is masked on its own too, since output reaches a reader line by line.
func (r *Redactor) Add(secret string) {
	if secret == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.add(secret)
	if !strings.Contains(secret, "\n") {
		return
	}
	for line := range strings.Lines(secret) {
		if line = strings.TrimSpace(line); len(line) >= minLineSecret {
			r.add(line)
		}
	}
}

func (r *Redactor) add(secret string) {
	if !slices.Contains(r.secrets, secret) {
		r.secrets = append(r.secrets, secret)
	}
}

// snapshot returns the current secrets; the slice must not be modified.
func (r *Redactor) snapshot() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.secrets[:len(r.secrets):len(r.secrets)]
}

// String returns s with every occurrence of every secret replaced by Mask.
func (r *Redactor) String(s string) string {
	secrets := r.snapshot()
	return mask(s, spans(s, secrets), len(s))
}

// span is the half-open byte range [start, end) of secret bytes.
type span struct{ start, end int }

// spans returns the merged, sorted ranges of s covered by any secret.
func spans(s string, secrets []string) []span {
	var all []span
	for _, sec := range secrets {
		for from := 0; ; {
			i := strings.Index(s[from:], sec)
			if i < 0 {
				break
			}
			all = append(all, span{from + i, from + i + len(sec)})
			from += i + 1
		}
	}
	slices.SortFunc(all, func(a, b span) int { return a.start - b.start })
	return merge(all)
}

// merge joins overlapping spans of a sorted list; spans that only touch stay
// apart, so the result does not depend on how a stream was split.
func merge(sorted []span) []span {
	var out []span
	for _, sp := range sorted {
		if n := len(out); n > 0 && sp.start < out[n-1].end {
			out[n-1].end = max(out[n-1].end, sp.end)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// mask returns s[:upto] with every span inside it replaced by Mask. Spans
// must not cross upto.
func mask(s string, covered []span, upto int) string {
	var b strings.Builder
	last := 0
	for _, sp := range covered {
		if sp.start >= upto {
			break
		}
		b.WriteString(s[last:sp.start])
		b.WriteString(Mask)
		last = sp.end
	}
	b.WriteString(s[last:upto])
	return b.String()
}
