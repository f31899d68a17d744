package expect

import (
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/redact"
)

// TestLongLineCutKeepsSecretsWhole: a line longer than maxLine is cut where
// no secret is split, so that redacting each piece masks the secret.
func TestLongLineCutKeepsSecretsWhole(t *testing.T) {
	const secret = "hunter2-hunter2"
	r := redact.New(secret)
	for _, before := range []int{maxLine - 1, maxLine - 5, maxLine - len(secret), maxLine - len(secret) - 1} {
		var lines []string
		l := lineLog{output: func(s string) { lines = append(lines, r.String(s)) }, cut: r.SafeCut}
		out := strings.Repeat("x", before) + secret + "tail"
		for i := 0; i < len(out); i += 4096 { // as a PTY hands output over
			l.write([]byte(out[i:min(i+4096, len(out))]))
		}
		l.write([]byte("\n"))
		joined := strings.Join(lines, "")
		if strings.Contains(joined, "hunter") || strings.Contains(joined, "er2") || !strings.Contains(joined, redact.Mask) {
			t.Errorf("secret %d bytes in: %d lines, the secret shows in them (ends %q)", before, len(lines), joined[len(joined)-30:])
		}
		if want := strings.Repeat("x", before) + redact.Mask + "tail"; joined != want {
			t.Errorf("secret %d bytes in: the lines hold %d bytes, want %d", before, len(joined), len(want))
		}
	}
}
