package expect

import (
	"regexp"
	"strings"
	"testing"
)

// BenchmarkLargeOutput pushes 50 MB of log lines, then a prompt that must be
// answered; the reported MB/s is the matching throughput.
func BenchmarkLargeOutput(b *testing.B) {
	const total = 50 << 20
	line := "2026-11-21T10:00:00Z info copying file 12345 of 67890 to /srv/app/releases/x\n"
	block := strings.Repeat(line, (32<<10)/len(line))
	rules := []Rule{
		{Match: regexp.MustCompile(`(?i)continue\? \[y/N\] $`), Send: "y"},
		{Match: regexp.MustCompile(`Overwrite .* \(y/n\)\? $`), Send: "n"},
		{Match: regexp.MustCompile(`Authentication token manipulation error`), Fail: "refused"},
	}
	script := func(h *fakeHost) error {
		for n := 0; n < total; n += len(block) {
			if err := h.say(block); err != nil {
				return err
			}
		}
		if _, err := h.ask("Continue? [y/N] "); err != nil {
			return err
		}
		return h.say("\nok\n")
	}
	b.SetBytes(total)
	for b.Loop() {
		_, res, err := converse(b, b.Context(), script, Options{Rules: rules, FailOn: regexp.MustCompile(`FATAL|panic:`)})
		if err != nil || res.Fired[0] != 1 {
			b.Fatalf("err %v, fired %v", err, res.Fired)
		}
	}
}
