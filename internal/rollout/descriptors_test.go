package rollout

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/drover-sh/drover/internal/inventory"
)

// TestCheckDescriptors: a farm that fits the open-file limit passes; one
// larger than the limit allows is refused before any dial, with a hint
// that names the number to raise the limit to.
func TestCheckDescriptors(t *testing.T) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Cur != rl.Max && rl.Max < 1<<20 {
		t.Errorf("soft limit %d, hard %d: the runtime did not raise the soft limit", rl.Cur, rl.Max)
	}
	if err := checkDescriptors(200, 2); err != nil && rl.Cur > 500 {
		t.Errorf("200 hosts with transcripts under a limit of %d: %v", rl.Cur, err)
	}
	hosts := int(min(rl.Cur, 1<<30))
	err := checkDescriptors(hosts, 1)
	if err == nil {
		t.Fatalf("%d hosts under a limit of %d: no error", hosts, rl.Cur)
	}
	var re *Error
	if !errors.As(err, &re) || re.Kind != Refused {
		t.Errorf("error %#v, want a refusal", err)
	}
	var h *inventory.HintError
	if !strings.Contains(err.Error(), "ulimit -n") || !errors.As(err, &h) || !strings.Contains(h.Hint, "ulimit -n") {
		t.Errorf("error %q: want it and its hint to name ulimit -n", err)
	}
}
