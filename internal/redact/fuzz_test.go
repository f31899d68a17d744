package redact

import (
	"slices"
	"strings"
	"testing"
)

// FuzzWriter checks that streaming in arbitrary pieces gives exactly what
// String gives for the whole text, and that no secret survives.
func FuzzWriter(f *testing.F) {
	f.Add("hunter2", "abc", "xx hunter2 abcabc hunt", []byte{3, 1, 4})
	f.Add("aa", "a", "aaaaab", []byte{0})
	f.Add("abcd", "cdef", "abcdef", []byte{1, 2})
	f.Fuzz(func(t *testing.T, s1, s2, text string, cuts []byte) {
		r := New(s1, s2)
		want := r.String(text)
		got := writeChunks(t, r, chop(text, cuts))
		if got != want {
			t.Fatalf("streamed output differs from String: %.200q vs %.200q", got, want)
		}
		for _, s := range []string{s1, s2} {
			// A secret holding '*' can be formed anew by text next to a mask.
			if s != "" && !strings.Contains(s, "*") && strings.Contains(got, s) {
				t.Fatalf("secret %q survives (output %d bytes)", s, len(got))
			}
		}
	})
}

// chop cuts s into pieces whose lengths come from cuts (cycled).
func chop(s string, cuts []byte) []string {
	var pieces []string
	for i := 0; s != ""; i++ {
		n := len(s)
		if len(cuts) > 0 {
			n = min(len(s), int(cuts[i%len(cuts)])+1)
		}
		pieces = append(pieces, s[:n])
		s = s[n:]
	}
	return pieces
}

// FuzzSafeCut checks that cutting a text where SafeCut says, then redacting
// each piece on its own, masks every secret: no occurrence crosses the cut,
// and what is left after it is shorter than the longest secret unless it
// starts a run of overlapping secrets.
func FuzzSafeCut(f *testing.F) {
	f.Add("hunter2", "abc", "xx hunter2 abcabc hunt")
	f.Add("aa", "a", "aaaaab")
	f.Add("line one\nline two", "xy", "said line one\nline t")
	f.Fuzz(func(t *testing.T, s1, s2, text string) {
		r := New(s1, s2)
		cut := r.SafeCut(text)
		if cut < 0 || cut > len(text) {
			t.Fatalf("SafeCut = %d for %d bytes", cut, len(text))
		}
		for _, sp := range spans(text, r.snapshot()) {
			if sp.start < cut && cut < sp.end {
				t.Fatalf("cut %d splits a secret at [%d, %d)", cut, sp.start, sp.end)
			}
		}
		longest := 0
		for _, s := range r.snapshot() {
			longest = max(longest, len(s))
		}
		if rest := len(text) - cut; rest > 0 && rest >= longest {
			// Only a run of overlapping secrets may hold back more: the cut
			// is then where that run starts.
			if !slices.ContainsFunc(spans(text, r.snapshot()), func(sp span) bool { return sp.start == cut }) {
				t.Fatalf("SafeCut holds back %d bytes, longest secret %d", rest, longest)
			}
		}
	})
}
