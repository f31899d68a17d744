package rollout

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestBudgetMemory: the soft memory limit grows with the farm, and
// GOMEMLIMIT wins.
func TestBudgetMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	budgetMemory(1000)
	if got, want := debug.SetMemoryLimit(-1), int64(48<<20+1000*48<<10); got != want {
		t.Errorf("limit for 1,000 hosts = %d, want %d", got, want)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "1GiB")
	budgetMemory(1000)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit with GOMEMLIMIT set = %d, want untouched", got)
	}
}
