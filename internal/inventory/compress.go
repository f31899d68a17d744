package inventory

import (
	"slices"
	"strconv"
	"strings"
)

// Compress writes a list of host names the short way, for display, as pdsh's
// dshbak does: names that differ only in their last number are folded into
// one range, "web01,web02,web03,web05,db1" becoming "db1,web[01-03,05]".
// Duplicates are dropped and the result is sorted naturally (web2 before
// web10), so equal sets always print the same. A span is written only when
// it expands back to the same names (web[9-10], web[09-10], never 9-010).
func Compress(names []string) string {
	sorted := slices.Clone(names)
	slices.SortFunc(sorted, NaturalCompare)
	sorted = slices.Compact(sorted)

	var keys []string
	nums := map[string][]string{} // prefix+"\x00"+suffix -> numbers, sorted
	for _, name := range sorted {
		prefix, num, suffix := lastNumber(name)
		key := prefix + "\x00" + suffix
		if _, err := strconv.Atoi(num); err != nil {
			// A name without a number, or with one too large for a range
			// to carry, stands alone.
			key = name + "\x00\x00"
		}
		if _, ok := nums[key]; !ok {
			keys = append(keys, key)
		}
		nums[key] = append(nums[key], num)
	}
	parts := make([]string, 0, len(keys))
	for _, key := range keys {
		parts = append(parts, foldGroup(key, nums[key]))
	}
	return strings.Join(parts, ",")
}

// foldGroup writes one prefix/suffix group: the plain name when it has one
// member, else prefix[spans]suffix.
func foldGroup(key string, nums []string) string {
	prefix, suffix, _ := strings.Cut(key, "\x00")
	if strings.HasSuffix(key, "\x00\x00") {
		return prefix
	}
	if len(nums) == 1 {
		return prefix + nums[0] + suffix
	}
	slices.SortStableFunc(nums, compareNumber)
	return prefix + "[" + strings.Join(spans(nums), ",") + "]" + suffix
}

// spans joins runs of consecutive numbers of the same width: 01 02 03 05 ->
// "01-03", "05".
func spans(nums []string) []string {
	var out []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && follows(nums[j], nums[j+1]) {
			j++
		}
		if j == i {
			out = append(out, nums[i])
		} else {
			out = append(out, nums[i]+"-"+nums[j])
		}
		i = j + 1
	}
	return out
}

// follows says whether b is a+1, both unpadded or both of the same width,
// so that the span expands back to the same names.
func follows(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	sameWidth := len(a) == len(b) || padWidth(a) == 0 && padWidth(b) == 0
	return errA == nil && errB == nil && y == x+1 && sameWidth
}

// lastNumber splits name around its last run of digits.
func lastNumber(name string) (prefix, num, suffix string) {
	end := len(name)
	for end > 0 && !isDigit(name[end-1]) {
		end--
	}
	start := end
	for start > 0 && isDigit(name[start-1]) {
		start--
	}
	return name[:start], name[start:end], name[end:]
}

// NaturalCompare orders strings with their digit runs compared as numbers,
// so "web2" sorts before "web10". It suits slices.SortFunc.
func NaturalCompare(a, b string) int {
	for a != "" && b != "" {
		ca, ra := chunk(a)
		cb, rb := chunk(b)
		if c := compareChunk(ca, cb); c != 0 {
			return c
		}
		a, b = ra, rb
	}
	return len(a) - len(b)
}

// chunk cuts the leading run of digits or of non-digits off s.
func chunk(s string) (head, rest string) {
	digits := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return s[:i], s[i:]
}

func compareChunk(a, b string) int {
	if isDigit(a[0]) && isDigit(b[0]) {
		return compareNumber(a, b)
	}
	return strings.Compare(a, b)
}

// compareNumber compares two digit strings by value, then the narrower first.
func compareNumber(a, b string) int {
	ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(ta) != len(tb) {
		return len(ta) - len(tb)
	}
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
