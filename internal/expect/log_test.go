package expect

import (
	"log"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestNothingLogged checks that goexpect, inside, writes nothing to the
// standard logger, on success and on every way a run can fail.
func TestNothingLogged(t *testing.T) {
	var logged strings.Builder
	prev := log.Writer()
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(prev) })
	rules := []Rule{{Match: regexp.MustCompile(`Password: $`), Secret: "pw"}}
	opts := Options{Rules: rules, Secret: secrets(map[string]string{"pw": "hunter2"}), IdleTimeout: 50 * time.Millisecond}
	scripts := []func(h *fakeHost) error{
		func(h *fakeHost) error { _, err := h.ask("Password: "); return err },
		func(h *fakeHost) error { h.ask("Password: "); h.say("\nPassword: "); return h.hang() },
		func(h *fakeHost) error { h.say("Other: "); return h.hang() },
	}
	for _, s := range scripts {
		converse(t, t.Context(), s, opts)
	}
	if logged.Len() > 0 {
		t.Fatalf("logged: %q", logged.String())
	}
}
