package rollout

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
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

// TestBudgetMemoryFollowsLive: when the run holds more than half the
// limit, the limit rises to twice what is live, after a collection.
func TestBudgetMemoryFollowsLive(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	budgetMemory(1)
	held := make([][]byte, 100)
	for i := range held {
		held[i] = make([]byte, 1<<20)
		held[i][0] = 1
	}
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) < 2*100<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d MB with 100 MB live, want at least 200 MB", debug.SetMemoryLimit(-1)>>20)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	runtime.KeepAlive(held)
}
