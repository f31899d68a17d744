package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// BatchSize is one entry of a batches list: a host count, or a percentage of
// the stage's hosts.
type BatchSize struct {
	Count     int
	Percent   float64 // used when IsPercent
	IsPercent bool
}

// ParseBatchSize reads "3" or "25%".
func ParseBatchSize(s string) (BatchSize, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f <= 0 || f > 100 {
			return BatchSize{}, fmt.Errorf("batch size %q: want a percentage in (0, 100]", s)
		}
		return BatchSize{Percent: f, IsPercent: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return BatchSize{}, fmt.Errorf("batch size %q: want a count >= 1 or a percentage like \"25%%\"", s)
	}
	return BatchSize{Count: n}, nil
}

// SmallerThan reports whether b is smaller than a size of its own kind
// (counts with counts, percentages with percentages): a batch list must
// not shrink within a kind.
func (b BatchSize) SmallerThan(prev BatchSize) bool {
	if b.IsPercent {
		return b.Percent < prev.Percent
	}
	return b.Count < prev.Count
}

func (b BatchSize) String() string {
	if b.IsPercent {
		return strconv.FormatFloat(b.Percent, 'f', -1, 64) + "%"
	}
	return strconv.Itoa(b.Count)
}

// Of returns the size as a host count for a stage of n hosts: percentages
// round up, and a size is at least 1.
func (b BatchSize) Of(n int) int {
	if !b.IsPercent {
		return b.Count
	}
	return max(1, int(math.Ceil(b.Percent*float64(n)/100-1e-9)))
}

// Batches splits n hosts (indexes 0..n-1, in order) into batches. Each size
// is the size of one batch, as Ansible's serial; the last size repeats until
// every host is in a batch. No sizes means one batch of all hosts.
func Batches(sizes []BatchSize, n int) [][]int {
	if n <= 0 {
		return nil
	}
	if len(sizes) == 0 {
		sizes = []BatchSize{{Percent: 100, IsPercent: true}}
	}
	var out [][]int
	next := 0
	for i := 0; next < n; i++ {
		size := sizes[min(i, len(sizes)-1)].Of(n)
		end := min(n, next+size)
		batch := make([]int, 0, end-next)
		for j := next; j < end; j++ {
			batch = append(batch, j)
		}
		out = append(out, batch)
		next = end
	}
	return out
}

// Allowed reports whether failed failures stay within t for a stage of n hosts.
func (t Threshold) Allowed(failed, n int) bool {
	if !t.IsPercent {
		return failed <= t.Count
	}
	return float64(failed) <= t.Percent*float64(n)/100+1e-9
}
