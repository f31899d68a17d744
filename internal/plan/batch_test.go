package plan

import (
	"reflect"
	"testing"
)

func TestBatches(t *testing.T) {
	pct := func(p float64) BatchSize { return BatchSize{Percent: p, IsPercent: true} }
	cnt := func(n int) BatchSize { return BatchSize{Count: n} }
	tests := []struct {
		name  string
		sizes []BatchSize
		n     int
		want  []int // batch lengths
	}{
		{"none is one batch", nil, 5, []int{5}},
		{"canary quarter rest of 12", []BatchSize{cnt(1), pct(25), pct(100)}, 12, []int{1, 3, 8}},
		{"last repeats", []BatchSize{cnt(1), cnt(2)}, 6, []int{1, 2, 2, 1}},
		{"percent rounds up", []BatchSize{pct(10)}, 12, []int{2, 2, 2, 2, 2, 2}},
		{"larger than farm", []BatchSize{cnt(5)}, 3, []int{3}},
		{"no hosts", []BatchSize{cnt(1)}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			next := 0
			for _, b := range Batches(tt.sizes, tt.n) {
				got = append(got, len(b))
				for _, i := range b {
					if i != next {
						t.Fatalf("host %d out of order, want %d", i, next)
					}
					next++
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Batches() sizes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestThresholdAllowed(t *testing.T) {
	tests := []struct {
		name      string
		th        Threshold
		failed, n int
		want      bool
	}{
		{"zero tolerates none", Threshold{}, 1, 10, false},
		{"zero with no failure", Threshold{}, 0, 10, true},
		{"ten percent of 40 tolerates 4", Threshold{Percent: 10, IsPercent: true}, 4, 40, true},
		{"ten percent of 40 not 5", Threshold{Percent: 10, IsPercent: true}, 5, 40, false},
		{"count 2", Threshold{Count: 2}, 2, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.th.Allowed(tt.failed, tt.n); got != tt.want {
				t.Errorf("Allowed(%d, %d) = %v, want %v", tt.failed, tt.n, got, tt.want)
			}
		})
	}
}

func TestParseBatchSize(t *testing.T) {
	for _, bad := range []string{"0", "-1", "x", "0%", "101%", ""} {
		if _, err := ParseBatchSize(bad); err == nil {
			t.Errorf("ParseBatchSize(%q) = nil error, want one", bad)
		}
	}
	if b, err := ParseBatchSize("25%"); err != nil || !b.IsPercent || b.Percent != 25 {
		t.Errorf("ParseBatchSize(25%%) = %+v, %v", b, err)
	}
}
