package inventory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxExpansion bounds how many names one pattern may expand to, so that a
// typo such as web[1:100000000] fails instead of eating the machine.
const maxExpansion = 65536

// Target is one host as written in a target list or a group: an optional
// login user, the host name (ranges already expanded) and an optional port.
type Target struct {
	User string // "" when not written
	Host string
	Port int // 0 when not written
}

// String writes t back as user@host:port, leaving out what is unset.
func (t Target) String() string {
	s := t.Host
	if t.User != "" {
		s = t.User + "@" + s
	}
	if t.Port != 0 {
		s += ":" + strconv.Itoa(t.Port)
	}
	return s
}

// SplitList splits a comma list such as "web[01:03,07],db1" on the commas
// that are outside brackets, dropping empty items and surrounding spaces.
func SplitList(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch s[i] {
			case '[':
				depth++
			case ']':
				depth--
			}
			if s[i] != ',' || depth > 0 {
				continue
			}
		}
		if item := strings.TrimSpace(s[start:i]); item != "" {
			out = append(out, item)
		}
		start = i + 1
	}
	return out
}

// Expand expands the ranges of a host pattern. A range is written in
// brackets: "[01:12]" counts from 01 to 12 keeping the zero padding, "[a:f]"
// runs over letters, "[1:3,7]" joins items with commas, and "-" may stand
// for ":" (so the output of Compress expands back). A pattern may hold
// several ranges and then expands to every combination, in order. A user and
// a port may be written around the host ("deploy@web[01:03]:2222"); ranges
// are only allowed in the host part, and the user and port are kept on every
// name. A pattern without ranges expands to itself.
func Expand(pattern string) ([]string, error) {
	user, host, port, err := splitTarget(pattern)
	if err != nil {
		return nil, fmt.Errorf("host pattern %q: %w", pattern, err)
	}
	hosts, err := expandHost(host)
	if err != nil {
		return nil, fmt.Errorf("host pattern %q: %w", pattern, err)
	}
	for i, h := range hosts {
		if user != "" {
			h = user + "@" + h
		}
		if port != "" {
			h += ":" + port
		}
		hosts[i] = h
	}
	return hosts, nil
}

// ParseTarget splits one expanded name into user, host and port.
func ParseTarget(s string) (Target, error) {
	user, host, port, err := splitTarget(s)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", s, err)
	}
	if strings.ContainsAny(host, "[]") {
		return Target{}, fmt.Errorf("target %q: unexpanded range", s)
	}
	t := Target{User: user, Host: host}
	if port != "" {
		t.Port, _ = strconv.Atoi(port) // checked by splitTarget
	}
	return t, nil
}

// splitTarget cuts "user@host:port" into its parts. The port is the text
// after the only colon outside brackets; a host with several such colons is
// an IPv6 address and has no port.
func splitTarget(s string) (user, host, port string, err error) {
	host = s
	if i := strings.IndexByte(host, '@'); i >= 0 {
		user, host = host[:i], host[i+1:]
		if user == "" {
			return "", "", "", errors.New("empty user before '@'")
		}
		if strings.ContainsAny(user, "[]") {
			return "", "", "", errors.New("ranges are not allowed in the user part")
		}
		if strings.IndexByte(host, '@') >= 0 {
			return "", "", "", errors.New("more than one '@'")
		}
	}
	if colons := outerColons(host); len(colons) == 1 {
		i := colons[0]
		host, port = host[:i], host[i+1:]
		if err := checkPort(port); err != nil {
			return "", "", "", err
		}
	}
	if host == "" {
		return "", "", "", errors.New("empty host name")
	}
	return user, host, port, nil
}

// outerColons returns the indexes of the colons of s outside brackets.
func outerColons(s string) []int {
	var out []int
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				out = append(out, i)
			}
		}
	}
	return out
}

func checkPort(port string) error {
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '+' {
		return fmt.Errorf("bad port %q: want a number from 1 to 65535", port)
	}
	return nil
}

// expandHost expands every bracketed range of host, left to right.
func expandHost(host string) ([]string, error) {
	out := []string{""}
	for rest := host; rest != ""; {
		open := strings.IndexByte(rest, '[')
		if close := strings.IndexByte(rest, ']'); close >= 0 && (open < 0 || close < open) {
			return nil, errors.New("']' without '['")
		}
		if open < 0 {
			out = appendAll(out, []string{rest})
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
		items, err := expandRange(body)
		if err != nil {
			return nil, fmt.Errorf("range [%s]: %w", body, err)
		}
		if len(out)*len(items) > maxExpansion {
			return nil, fmt.Errorf("expands to more than %d names", maxExpansion)
		}
		out = appendAll(appendAll(out, []string{rest[:open]}), items)
		rest = rest[open+end+1:]
	}
	return out, nil
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

// expandRange expands the inside of one pair of brackets: comma separated
// items, each a single value or "lo:hi" (or "lo-hi").
func expandRange(body string) ([]string, error) {
	if strings.TrimSpace(body) == "" {
		return nil, errors.New("empty range")
	}
	var out []string
	for item := range strings.SplitSeq(body, ",") {
		lo, hi, ok := strings.Cut(item, ":")
		if !ok {
			lo, hi, ok = strings.Cut(item, "-")
		}
		if !ok {
			hi = lo
		}
		vals, err := expandSpan(lo, hi)
		if err != nil {
			return nil, err
		}
		if len(out)+len(vals) > maxExpansion {
			return nil, fmt.Errorf("expands to more than %d names", maxExpansion)
		}
		out = append(out, vals...)
	}
	return out, nil
}

// expandSpan expands lo..hi, both numbers or both single letters.
func expandSpan(lo, hi string) ([]string, error) {
	switch {
	case lo == "" || hi == "":
		return nil, errors.New("missing start or end")
	case isDigits(lo) && isDigits(hi):
		return numberSpan(lo, hi)
	case isLetter(lo) && isLetter(hi):
		return letterSpan(lo[0], hi[0])
	default:
		return nil, fmt.Errorf("%q to %q: want two numbers or two single letters", lo, hi)
	}
}

func numberSpan(lo, hi string) ([]string, error) {
	a, errA := strconv.Atoi(lo)
	b, errB := strconv.Atoi(hi)
	if errA != nil || errB != nil {
		return nil, fmt.Errorf("%q to %q: number too large", lo, hi)
	}
	if a > b {
		return nil, fmt.Errorf("start %s is after end %s", lo, hi)
	}
	if b-a >= maxExpansion {
		return nil, fmt.Errorf("expands to more than %d names", maxExpansion)
	}
	width := max(padWidth(lo), padWidth(hi))
	out := make([]string, 0, b-a+1)
	for n := a; n <= b; n++ {
		out = append(out, fmt.Sprintf("%0*d", width, n))
	}
	return out, nil
}

// padWidth is the width a zero-padded number asks for, 0 when not padded.
func padWidth(s string) int {
	if len(s) > 1 && s[0] == '0' {
		return len(s)
	}
	return 0
}

func letterSpan(a, b byte) ([]string, error) {
	if (a >= 'a') != (b >= 'a') {
		return nil, fmt.Errorf("%q to %q: mixes upper and lower case", a, b)
	}
	if a > b {
		return nil, fmt.Errorf("start %c is after end %c", a, b)
	}
	var out []string
	for c := a; c <= b; c++ {
		out = append(out, string(c))
	}
	return out, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isLetter(s string) bool {
	return len(s) == 1 && (s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z')
}
