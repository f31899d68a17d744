//go:build e2e

package e2e

import (
	"testing"
	"time"
)

// pollEvery is how often waitFor looks at the condition.
const pollEvery = 50 * time.Millisecond

// waitFor polls cond until it holds or timeout passes; then it fails t with
// what was awaited. It returns how long it took.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("after %v still waiting for %s", timeout, what)
		}
	}
	return time.Since(start)
}
