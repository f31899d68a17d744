package inventory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits on what host patterns may expand to. A pattern is parsed and its
// names counted before one of them is built, so a few bytes of input can
// never ask for more than these.
const (
	// maxExpansion bounds how many names one pattern may expand to, so
	// that a typo such as web[1:100000000] fails instead of eating the
	// machine.
	maxExpansion = 65536
	// maxExpansionBytes bounds the bytes of the names one pattern expands
	// to: zero padding makes long names ("[000…001:000…999]").
	maxExpansionBytes = 4 << 20
	// maxHosts bounds the host names an inventory may write (summed over
	// its patterns) and the hosts one selection may hold.
	maxHosts = 2 * maxExpansion
)

// hostPart is a piece of a host pattern: literal text, or the spans of one
// bracketed range.
type hostPart struct {
	lit   string
	spans []span // nil for literal text
}

// span is one item of a range: the numbers lo..hi, each printed at least
// width digits wide, or the letters lo..hi.
type span struct {
	lo, hi  int
	width   int
	letters bool
}

func (s span) count() int { return s.hi - s.lo + 1 }

// maxLen is the length of the longest value of s.
func (s span) maxLen() int {
	if s.letters {
		return 1
	}
	return max(s.width, len(strconv.Itoa(s.hi)))
}

func (s span) appendValues(out []string) []string {
	var buf []byte
	for n := s.lo; n <= s.hi; n++ {
		if s.letters {
			out = append(out, string(rune(n)))
			continue
		}
		digits := strconv.Itoa(n)
		buf = append(buf[:0], strings.Repeat("0", max(0, s.width-len(digits)))...)
		out = append(out, string(append(buf, digits...)))
	}
	return out
}

func (p hostPart) values() []string {
	if p.spans == nil {
		return []string{p.lit}
	}
	var out []string
	for _, s := range p.spans {
		out = s.appendValues(out)
	}
	return out
}

// expandHost expands every bracketed range of host, left to right, once it
// has checked that the names stay within maxExpansion and maxExpansionBytes.
func expandHost(host string) ([]string, error) {
	parts, err := parseHost(host)
	if err != nil {
		return nil, err
	}
	if _, err := countParts(parts); err != nil {
		return nil, err
	}
	out := []string{""}
	for _, p := range parts {
		out = appendAll(out, p.values())
	}
	return out, nil
}

// countPattern returns how many names a pattern expands to, without
// building them.
func countPattern(pattern string) (int, error) {
	_, host, _, err := splitTarget(pattern)
	if err != nil {
		return 0, fmt.Errorf("host pattern %q: %w", pattern, err)
	}
	parts, err := parseHost(host)
	if err == nil {
		var n int
		if n, err = countParts(parts); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("host pattern %q: %w", pattern, err)
}

// countParts returns the number of names parts expand to, or an error when
// they are too many or would take too many bytes.
func countParts(parts []hostPart) (int, error) {
	n, longest := 1, 0
	for _, p := range parts {
		if p.spans == nil {
			longest += len(p.lit)
			continue
		}
		c, l := 0, 0
		for _, s := range p.spans {
			c += s.count()
			l = max(l, s.maxLen())
			if c > maxExpansion {
				return 0, fmt.Errorf("expands to more than %d names", maxExpansion)
			}
		}
		if n*c > maxExpansion {
			return 0, fmt.Errorf("expands to more than %d names", maxExpansion)
		}
		n *= c
		longest += l
	}
	if n*longest > maxExpansionBytes {
		return 0, fmt.Errorf("expands to %d names of up to %d bytes: more than %d MiB", n, longest, maxExpansionBytes>>20)
	}
	return n, nil
}

// parseHost cuts host into literal text and ranges.
func parseHost(host string) ([]hostPart, error) {
	var parts []hostPart
	for rest := host; rest != ""; {
		open := strings.IndexByte(rest, '[')
		if close := strings.IndexByte(rest, ']'); close >= 0 && (open < 0 || close < open) {
			return nil, errors.New("']' without '['")
		}
		if open < 0 {
			parts = append(parts, hostPart{lit: rest})
			break
		}
		end := strings.IndexByte(rest[open:], ']')
		if end < 0 {
			return nil, errors.New("'[' without ']'")
		}
		body := rest[open+1 : open+end]
		if strings.IndexByte(body, '[') >= 0 {
			return nil, errors.New("nested '['")
		}
		spans, err := parseRange(body)
		if err != nil {
			return nil, fmt.Errorf("range [%s]: %w", body, err)
		}
		parts = append(parts, hostPart{lit: rest[:open]}, hostPart{spans: spans})
		rest = rest[open+end+1:]
	}
	return parts, nil
}

// appendAll returns every prefix followed by every suffix.
func appendAll(prefixes, suffixes []string) []string {
	out := make([]string, 0, len(prefixes)*len(suffixes))
	for _, p := range prefixes {
		for _, s := range suffixes {
			out = append(out, p+s)
		}
	}
	return out
}

// parseRange parses the inside of one pair of brackets: comma separated
// items, each a single value or "lo:hi" (or "lo-hi").
func parseRange(body string) ([]span, error) {
	if strings.TrimSpace(body) == "" {
		return nil, errors.New("empty range")
	}
	var out []span
	for item := range strings.SplitSeq(body, ",") {
		lo, hi, ok := strings.Cut(item, ":")
		if !ok {
			lo, hi, ok = strings.Cut(item, "-")
		}
		if !ok {
			hi = lo
		}
		s, err := parseSpan(lo, hi)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// parseSpan parses lo..hi, both numbers or both single letters.
func parseSpan(lo, hi string) (span, error) {
	switch {
	case lo == "" || hi == "":
		return span{}, errors.New("missing start or end")
	case isDigits(lo) && isDigits(hi):
		return numberSpan(lo, hi)
	case isLetter(lo) && isLetter(hi):
		return letterSpan(lo[0], hi[0])
	default:
		return span{}, fmt.Errorf("%q to %q: want two numbers or two single letters", lo, hi)
	}
}

func numberSpan(lo, hi string) (span, error) {
	a, errA := strconv.Atoi(lo)
	b, errB := strconv.Atoi(hi)
	if errA != nil || errB != nil {
		return span{}, fmt.Errorf("%q to %q: number too large", lo, hi)
	}
	if a > b {
		return span{}, fmt.Errorf("start %s is after end %s", lo, hi)
	}
	if b-a >= maxExpansion {
		return span{}, fmt.Errorf("expands to more than %d names", maxExpansion)
	}
	return span{lo: a, hi: b, width: max(padWidth(lo), padWidth(hi))}, nil
}

// padWidth is the width a zero-padded number asks for, 0 when not padded.
func padWidth(s string) int {
	if len(s) > 1 && s[0] == '0' {
		return len(s)
	}
	return 0
}

func letterSpan(a, b byte) (span, error) {
	if (a >= 'a') != (b >= 'a') {
		return span{}, fmt.Errorf("%q to %q: mixes upper and lower case", a, b)
	}
	if a > b {
		return span{}, fmt.Errorf("start %c is after end %c", a, b)
	}
	return span{lo: int(a), hi: int(b), letters: true}, nil
}
