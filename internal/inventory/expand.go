package inventory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

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
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		return "", "", "", fmt.Errorf("control character %q at byte %d", s[i], i+1)
	}
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

// isControl reports an ASCII control character: no host, user or port
// holds one, and one would garble every message that names the target.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

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
