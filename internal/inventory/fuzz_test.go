package inventory

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

var patternSeeds = []string{
	"db1.example.com", "web[01:03]", "web[08:10]", "web[9:11]", "rack[a:c]", "[X:Z]1",
	"r[1:2]n[a:b]", "web[01:02,07]", "web[01-03]", "web[5]", "webserv[1:2].example.com",
	"deploy@web[1:2]:2222", "root@10.0.0.1:22", "fe80::1", "[::1]:22", "web[01:03", "web01]",
	"web[[1:2]]", "web[]", "web[1:]", "web[5:1]", "web[1:c]", "web[a:C]", "web[1:100000000]",
	"w[1:300][1:300]", "web1:http", "u[1:2]@web", "@web", "a@b@c", "deploy@", "h[0001:0003]",
	"h[" + strings.Repeat("0", 300) + "1:9]", "a[1:65536]", "x[-]", "[,]", "[0:0,a:a]",
}

// FuzzExpand: Expand never panics, stays within its limits, agrees with
// the count made before expanding, yields names that parse as targets, and
// its names survive a trip through Compress and back.
func FuzzExpand(f *testing.F) {
	for _, s := range patternSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		names, err := Expand(pattern)
		n, cerr := countPattern(pattern)
		if (err == nil) != (cerr == nil) {
			t.Fatalf("Expand error %v, but counting error %v", err, cerr)
		}
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(pattern)) {
				t.Fatalf("error %q does not name the pattern", err)
			}
			return
		}
		if len(names) != n || n > maxExpansion {
			t.Fatalf("%d names, counted %d, limit %d", len(names), n, maxExpansion)
		}
		size := 0
		for _, name := range names {
			size += len(name)
			if _, err := ParseTarget(name); err != nil {
				t.Fatalf("expanded name %q does not parse: %v", name, err)
			}
		}
		if size > maxExpansionBytes+len(names)*len(pattern) {
			t.Fatalf("%d bytes of names from %d bytes of pattern", size, len(pattern))
		}
		compressRoundTrip(t, names)
	})
}

// compressRoundTrip checks that Compress writes names so that they expand
// back to the same set, for names that a comma list can carry.
func compressRoundTrip(t *testing.T, names []string) {
	for _, n := range names {
		if strings.ContainsAny(n, ",[]@: \t\r\n\v\f\u0085\u00a0") || n != strings.TrimSpace(n) {
			return
		}
	}
	var back []string
	for _, item := range SplitList(Compress(names)) {
		got, err := Expand(item)
		if err != nil {
			t.Fatalf("Compress wrote %q, which does not expand: %v", item, err)
		}
		back = append(back, got...)
	}
	want := slices.Clone(names)
	slices.Sort(want)
	slices.Sort(back)
	if !slices.Equal(slices.Compact(want), slices.Compact(back)) {
		t.Fatalf("Compress(%q) = %q expands to %q", names, Compress(names), back)
	}
}

// FuzzSplitList: the items are trimmed, non-empty pieces of the input, in
// order, and none holds a comma outside brackets.
func FuzzSplitList(f *testing.F) {
	for _, s := range []string{"web[01:03,07],db1", " a , b ,, c ", "[,]", "]a,b[", "", ",", "a[1,2]b,c[3]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rest := s
		for _, item := range SplitList(s) {
			if item == "" || item != strings.TrimSpace(item) {
				t.Fatalf("item %q is empty or not trimmed", item)
			}
			i := strings.Index(rest, item)
			if i < 0 {
				t.Fatalf("item %q is not in order in %q", item, s)
			}
			rest = rest[i+len(item):]
			depth := 0
			for _, c := range item {
				switch c {
				case '[':
					depth++
				case ']':
					depth--
				case ',':
					if depth <= 0 {
						t.Fatalf("item %q holds a comma outside brackets", item)
					}
				}
			}
		}
	})
}

// FuzzParseTarget: a target that parses writes back to a string that
// parses to the same target.
func FuzzParseTarget(f *testing.F) {
	for _, s := range append(patternSeeds, "deploy@db1:2222", "h:+22", "h:022", "a@b", "::1", "[::1]") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("error %q does not name the target", err)
			}
			return
		}
		if tg.Host == "" || tg.Port < 0 || tg.Port > 65535 {
			t.Fatalf("ParseTarget(%q) = %+v", s, tg)
		}
		again, err := ParseTarget(tg.String())
		if err != nil || again != tg {
			t.Fatalf("ParseTarget(%q) = %+v, written %q, parsed back %+v, %v", s, tg, tg.String(), again, err)
		}
	})
}
