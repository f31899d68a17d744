package engine

import (
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/redact"
)

// TestCutLineSecretSplitAcrossWrites: a secret that straddles the 64 KiB
// cut of a line and arrives in pieces (a loaded host writes a line in any
// number of parts) is masked whole in what spills, however the writes
// split it; before the fix its start and its end went out in two pieces,
// each redacted alone, so neither was masked.
func TestCutLineSecretSplitAcrossWrites(t *testing.T) {
	const secret = "sudo-pw-4711"
	r := redact.New(secret)
	head := strings.Repeat("x", maxLine-5)
	for _, writes := range [][]string{
		{head + secret + " tail\n"},
		{head + "sudo-", "pw-4711 tail\n"},
		{head + "sudo-", "pw-", "4711", " tail\n"},
		{head, "s", "udo-pw-471", "1 tail\n"},
		{head + "sudo-pw-47", "11"}, // the stream ends without a newline
	} {
		var line string
		var spilled []string
		c := &lineCutter{line: func(l string) { line = r.String(l) }, spill: func(s string) { spilled = append(spilled, r.String(s)) },
			safe: r.SafeCut}
		for _, w := range writes {
			c.Write([]byte(w))
		}
		c.flush()
		all := line + strings.Join(spilled, "")
		for _, part := range []string{"sudo", "pw-", "4711"} {
			if strings.Contains(all, part) {
				t.Errorf("writes %q: %q of the secret shows in %q + %q", writes[len(writes)-1], part, line[len(line)-40:], spilled)
			}
		}
		if !strings.HasSuffix(line, cutMarker) || !strings.HasPrefix(strings.Join(spilled, ""), r.String(secret)) {
			t.Errorf("writes ending %q: line ends %q, spilled %q", writes[len(writes)-1], line[len(line)-30:], spilled)
		}
	}
}
