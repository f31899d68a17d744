package inventory

import (
	"net"
	"strings"
)

// matchPattern is match.c's match_pattern: '*' and '?' wildcards, case
// sensitive, the whole string.
func matchPattern(s, pattern string) bool {
	for {
		if pattern == "" {
			return s == ""
		}
		if pattern[0] == '*' {
			pattern = strings.TrimLeft(pattern, "*")
			if pattern == "" {
				return true
			}
			for i := 0; i < len(s); i++ {
				if matchPattern(s[i:], pattern) {
					return true
				}
			}
			return false
		}
		if s == "" || (pattern[0] != '?' && pattern[0] != s[0]) {
			return false
		}
		s, pattern = s[1:], pattern[1:]
	}
}

// matchPatternList is match.c's match_pattern_list: a comma list of
// patterns, each possibly negated with '!'. It returns -1 when a negated
// pattern matches, 1 when a positive one does and none negated, else 0.
// lower lowers the patterns (the string must be lower case already).
func matchPatternList(s, list string, lower bool) int {
	positive := 0
	for i := 0; i < len(list); {
		negated := list[i] == '!'
		if negated {
			i++
		}
		end := strings.IndexByte(list[i:], ',')
		if end < 0 {
			end = len(list) - i
		}
		sub := list[i : i+end]
		i += end + 1
		if lower {
			sub = strings.ToLower(sub)
		}
		if matchPattern(s, sub) {
			if negated {
				return -1
			}
			positive = 1
		}
	}
	return positive
}

// matchHostname is match.c's match_hostname: a pattern list against a
// host name, both compared in lower case.
func matchHostname(host, list string) bool {
	return matchPatternList(strings.ToLower(host), list, true) == 1
}

// matchHostLine is the Host directive: white-space separated patterns (no
// commas), any positive match applies the block unless a negated pattern
// matches.
func matchHostLine(host string, patterns []string) bool {
	active := false
	for _, p := range patterns {
		negated := strings.HasPrefix(p, "!")
		if !matchPattern(host, strings.TrimPrefix(p, "!")) {
			continue
		}
		if negated {
			return false
		}
		active = true
	}
	return active
}

// isAddr is ssh.c's is_addr: a name with '%' or ':', made of digits and
// dots only, or a numeric address counts as an address, which ssh does not
// lower-case.
func isAddr(host string) bool {
	return strings.ContainsAny(host, "%:") || strings.Trim(host, "0123456789.") == "" || net.ParseIP(host) != nil
}
