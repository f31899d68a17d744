package inventory

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// layered is an inventory of depth groups, each naming the one below twice
// and one host of its own: resolved naively it takes 2^depth visits.
func layered(depth int) *Inventory {
	inv := &Inventory{File: "inv.toml", Groups: map[string][]string{"g0": {"base[1:3]"}}, GroupPos: map[string]Position{"g0": {Line: 1}}}
	for i := 1; i <= depth; i++ {
		g := fmt.Sprintf("g%d", i)
		below := fmt.Sprintf("@g%d", i-1)
		inv.Groups[g] = []string{below, below, fmt.Sprintf("own%d", i)}
		inv.GroupPos[g] = Position{Line: i + 1}
	}
	return inv
}

// within fails the test when fn has not returned after d. The bound is
// generous: the work is polynomial and takes microseconds; before, it was
// exponential and never finished.
func within(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v: resolution is not polynomial", d)
	}
}

func TestLayeredGroupsArePolynomial(t *testing.T) {
	const depth = 60
	inv := layered(depth)
	within(t, 5*time.Second, func() {
		ts, err := inv.Select(Selector{Groups: []string{fmt.Sprintf("g%d", depth)}}, "")
		if err != nil || len(ts) != 3+depth {
			t.Errorf("Select = %d hosts, %v; want %d", len(ts), err, 3+depth)
		}
		if errs := Validate(inv); len(errs) != 0 {
			t.Errorf("Validate = %v, want no problem", errs)
		}
	})
	cyclic := layered(depth)
	cyclic.Groups["g0"] = append(cyclic.Groups["g0"], fmt.Sprintf("@g%d", depth))
	within(t, 5*time.Second, func() {
		if _, err := cyclic.Select(Selector{Groups: []string{"g1"}}, ""); err == nil || !strings.Contains(err.Error(), "group cycle: @g1 -> @g0 -> @g60") {
			t.Errorf("Select error = %v, want the cycle", err)
		}
		errs := Validate(cyclic)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "group cycle: @g0 -> @g60 -> @g59") {
			t.Errorf("Validate = %v, want the one cycle", errs)
		}
	})
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestZeroPaddingIsCounted: zero padding makes every name as long as the
// padding, so 2 KB of pattern once asked for 65536 names of a kilobyte.
// The names are counted and measured before any is built.
func TestZeroPaddingIsCounted(t *testing.T) {
	pad := strings.Repeat("0", 1000)
	pattern := "h[" + pad + "1:" + pad + "65536]"
	var err error
	bytes := allocated(func() { _, err = Expand(pattern) })
	if err == nil || !strings.Contains(err.Error(), "more than 4 MiB") {
		t.Errorf("Expand error = %v, want the size limit", err)
	}
	if bytes > 1<<20 {
		t.Errorf("Expand allocated %d bytes before refusing, want under 1 MiB", bytes)
	}
	inv := &Inventory{File: "inv.toml", Groups: map[string][]string{"g": {pattern}}, GroupPos: map[string]Position{"g": {Line: 3, Col: 1}}}
	var errs []error
	bytes = allocated(func() { errs = Validate(inv) })
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "inv.toml:3:1: group g: host pattern") || bytes > 1<<20 {
		t.Errorf("Validate = %v after %d bytes; want one positioned error, under 1 MiB", errs, bytes)
	}
	// Within the limits, padding still works.
	got, err := Expand("h[0001:0003]")
	if err != nil || strings.Join(got, ",") != "h0001,h0002,h0003" {
		t.Errorf("Expand = %q, %v", got, err)
	}
}

// TestHostsAreCapped: many patterns, each within its own limit, cannot add
// up to more than maxHosts hosts, in a selection or in an inventory.
func TestHostsAreCapped(t *testing.T) {
	many := []string{"a[1:65536]", "b[1:65536]", "c[1:65536]"}
	_, err := (*Inventory)(nil).Select(Selector{Hosts: many}, "")
	if err == nil || !strings.Contains(err.Error(), "more than 131072 hosts") {
		t.Errorf("Select -H error = %v, want the host limit", err)
	}
	inv := &Inventory{File: "inv.toml", Groups: map[string][]string{"big": many}, GroupPos: map[string]Position{"big": {Line: 3}}}
	_, err = inv.Select(Selector{Groups: []string{"big"}}, "")
	if err == nil || err.Error() != "inv.toml:3: group big: the targets are too many: more than 131072 hosts" {
		t.Errorf("Select -g error = %v, want the host limit at the group", err)
	}
	var errs []error
	bytes := allocated(func() { errs = Validate(inv) })
	if len(errs) != 1 || errs[0].Error() != "inv.toml:3: group big: the inventory names more than 131072 hosts" {
		t.Errorf("Validate = %v, want the host limit", errs)
	}
	if bytes > 1<<20 {
		t.Errorf("Validate allocated %d bytes, want under 1 MiB: the names are counted, not built", bytes)
	}
}
