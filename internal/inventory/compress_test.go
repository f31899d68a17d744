package inventory

import (
	"slices"
	"testing"
)

func TestCompress(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		want  string
	}{
		{"empty", nil, ""},
		{"one", []string{"web01"}, "web01"},
		{"design example", []string{"web01", "web02", "web03", "web05", "db1"}, "db1,web[01-03,05]"},
		{"unsorted with duplicates", []string{"web3", "web1", "web2", "web1"}, "web[1-3]"},
		{"natural order", []string{"web10", "web9", "web2"}, "web[2,9-10]"},
		{"suffix kept", []string{"web01.ex.com", "web02.ex.com", "db.ex.com"}, "db.ex.com,web[01-02].ex.com"},
		{"widths not joined", []string{"web9", "web10", "web09"}, "web[9,09-10]"},
		{"no numbers", []string{"beta", "alpha"}, "alpha,beta"},
		{"last number folds", []string{"r1n1", "r1n2", "r2n1"}, "r1n[1-2],r2n1"},
		{"numbers too large for a range stand alone", []string{"h11000000000000000000", "h10000000000000000000"},
			"h10000000000000000000,h11000000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Compress(tt.names); got != tt.want {
				t.Errorf("Compress(%q) = %q, want %q", tt.names, got, tt.want)
			}
		})
	}
}

// TestCompressExpandRoundTrip checks that what Compress prints expands back
// to the same set of names.
func TestCompressExpandRoundTrip(t *testing.T) {
	names := []string{"web01", "web02", "web03", "web05", "web11", "db1", "db2", "x"}
	var got []string
	for _, p := range SplitList(Compress(names)) {
		exp, err := Expand(p)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, exp...)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, want) {
		t.Errorf("round trip = %q, want %q", got, want)
	}
}

func TestNaturalCompare(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int // sign
	}{
		{"number value", "web2", "web10", -1},
		{"equal", "web2", "web2", 0},
		{"text first", "a10", "b1", -1},
		{"prefix shorter first", "web", "web1", -1},
		{"narrower first", "web1", "web01", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NaturalCompare(tt.a, tt.b)
			if sign(got) != tt.want {
				t.Errorf("NaturalCompare(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
