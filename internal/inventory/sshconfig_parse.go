package inventory

import (
	"errors"
	"strings"
)

// whitespace is what OpenSSH's readconf.c calls WHITESPACE.
const whitespace = " \t\r\n"

var errInvalidQuotes = errors.New("invalid quotes")

// configLine is one directive of an ssh_config file, split as readconf.c
// splits it: the keyword, its arguments (quotes removed, a '#' that starts an
// argument ends the line) and the raw rest of the line, which ProxyCommand
// and ProxyJump take as written.
type configLine struct {
	num     int    // 1-based line number
	keyword string // lower case
	args    []string
	rest    string // after the keyword and its separator, trailing space removed
	err     error  // the line could not be split (reported when it is reached)
	origin  string // "ssh_config PATH:NUM", set when the file is read
}

// parseConfigText splits ssh_config text into directives. Blank lines and
// comments are dropped; a line that cannot be split keeps its error, since
// ssh reports it only while reading the file.
func parseConfigText(data []byte) []configLine {
	var out []configLine
	for i, raw := range strings.Split(string(data), "\n") {
		if l, ok := splitConfigLine(raw); ok {
			l.num = i + 1
			out = append(out, l)
		}
	}
	return out
}

// splitConfigLine is the start of process_config_line_depth: strip trailing
// white space, take the keyword with strdelim (so "Key=Value" and
// "Key = Value" work), then argv_split the rest.
func splitConfigLine(line string) (configLine, bool) {
	line = strings.TrimRight(line, whitespace+"\f")
	keyword, rest, ok := strdelim(line)
	if ok && keyword == "" {
		keyword, rest, ok = strdelim(rest)
	}
	if !ok || keyword == "" || keyword[0] == '#' {
		return configLine{}, false
	}
	l := configLine{keyword: strings.ToLower(keyword), rest: strings.TrimLeft(rest, whitespace)}
	if l.rest == "" {
		l.err = errors.New("no argument after keyword " + keyword)
		return l, true
	}
	l.args, l.err = argvSplit(l.rest)
	return l, true
}

// strdelim is misc.c's strdelim: the next word of s, ended by white space,
// by a double-quoted string, or by one '=' (with white space around it). ok
// is false where C returns NULL: an unterminated quote.
func strdelim(s string) (word, rest string, ok bool) {
	i := strings.IndexAny(s, whitespace+`"=`)
	if i < 0 {
		return s, "", true
	}
	if s[i] == '"' {
		inner := s[i+1:]
		j := strings.IndexByte(inner, '"')
		if j < 0 {
			return "", "", false
		}
		return s[:i] + inner[:j], strings.TrimLeft(inner[j+1:], whitespace), true
	}
	equals := s[i] == '='
	word, rest = s[:i], strings.TrimLeft(s[i+1:], whitespace)
	if !equals && strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], whitespace)
	}
	return word, rest, true
}

// argvSplit is misc.c's argv_split with terminate_on_comment: words split at
// spaces and tabs, single or double quotes group, a backslash escapes a
// quote, a backslash or (outside quotes) a space; a word starting with '#'
// ends the line.
func argvSplit(s string) ([]string, error) {
	var args []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			continue
		}
		if s[i] == '#' {
			break
		}
		var arg strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || (quote == 0 && s[i+1] == ' ')):
				i++
				arg.WriteByte(s[i])
			case quote == 0 && (c == ' ' || c == '\t'):
				goto done
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote != 0 && c == quote:
				quote = 0
			default:
				arg.WriteByte(c)
			}
		}
		if quote != 0 {
			return nil, errInvalidQuotes
		}
	done:
		args = append(args, arg.String())
	}
	return args, nil
}
