package runbook

import (
	"strconv"
	"strings"
)

// position is where a key, a table header or an array element starts.
type position struct{ Line, Col int }

// positions maps a key path to its position. A path names array-of-tables
// entries and array elements by index: "stage", "1", "step", "0", "run".
//
// BurntSushi/toml keeps key positions private and does not tell entries of
// an array of tables apart, so the positions come from a scan of the source
// of its own. The scan runs only on a document the TOML decoder accepted.
type positions map[string]position

// pathKey joins a path into a map key; the separator cannot occur in TOML
// keys written by a person.
func pathKey(path []string) string { return strings.Join(path, "\x1f") }

// at returns the position of path, or of its nearest ancestor that has one,
// or the start of the file.
func (p positions) at(path []string) position {
	for n := len(path); n > 0; n-- {
		if pos, ok := p[pathKey(path[:n])]; ok {
			return pos
		}
	}
	return position{Line: 1, Col: 1}
}

// posScanner walks TOML source and records where every key starts.
type posScanner struct {
	src       string
	i         int
	line, col int
	out       positions
	arrays    map[string]int // entries seen per array of tables
	table     []string       // path of the current table
}

// scanPositions returns the position of every key, table and array element
// of src.
func scanPositions(src string) positions {
	s := &posScanner{src: src, line: 1, col: 1, out: positions{}, arrays: map[string]int{}}
	for {
		s.skipBlank(true)
		if s.eof() {
			return s.out
		}
		start := s.i
		if s.peek() == '[' {
			s.header()
		} else {
			s.keyValue(s.table)
		}
		if s.i == start { // never loop on input the scan does not understand
			s.next()
		}
	}
}

func (s *posScanner) eof() bool  { return s.i >= len(s.src) }
func (s *posScanner) peek() byte { return s.src[s.i] }
func (s *posScanner) here() position {
	return position{Line: s.line, Col: s.col}
}

func (s *posScanner) next() {
	if s.src[s.i] == '\n' {
		s.line++
		s.col = 0
	}
	s.i++
	s.col++
}

func (s *posScanner) has(prefix string) bool { return strings.HasPrefix(s.src[s.i:], prefix) }

// skipBlank skips spaces and tabs, and with newlines also line ends and
// comments.
func (s *posScanner) skipBlank(newlines bool) {
	for !s.eof() {
		switch c := s.peek(); {
		case c == ' ' || c == '\t' || c == '\r':
			s.next()
		case newlines && c == '\n':
			s.next()
		case newlines && c == '#':
			for !s.eof() && s.peek() != '\n' {
				s.next()
			}
		default:
			return
		}
	}
}

// header reads [a.b] or [[a.b]] and makes it the current table.
func (s *posScanner) header() {
	pos := s.here()
	s.next()
	double := !s.eof() && s.peek() == '['
	if double {
		s.next()
	}
	parts := s.keyPath()
	var resolved []string
	for j, p := range parts {
		resolved = append(resolved, p)
		k := pathKey(resolved)
		if n, ok := s.arrays[k]; j == len(parts)-1 && double {
			s.arrays[k] = n + 1
			resolved = append(resolved, strconv.Itoa(n))
		} else if ok {
			resolved = append(resolved, strconv.Itoa(n-1))
		}
	}
	for !s.eof() && s.peek() != '\n' && s.peek() != '#' {
		s.next()
	}
	s.out[pathKey(resolved)] = pos
	s.table = resolved
}

// keyValue reads key = value under table.
func (s *posScanner) keyValue(table []string) {
	pos := s.here()
	path := append(append([]string(nil), table...), s.keyPath()...)
	s.out[pathKey(path)] = pos
	s.skipBlank(false)
	if s.eof() || s.peek() != '=' {
		return
	}
	s.next()
	s.skipBlank(false)
	s.value(path)
}

// keyPath reads a dotted key of bare and quoted parts.
func (s *posScanner) keyPath() []string {
	var parts []string
	for {
		s.skipBlank(false)
		if s.eof() {
			return parts
		}
		parts = append(parts, s.keyPart())
		s.skipBlank(false)
		if s.eof() || s.peek() != '.' {
			return parts
		}
		s.next()
	}
}

func (s *posScanner) keyPart() string {
	start := s.i
	switch s.peek() {
	case '"':
		s.basicString()
		if v, err := strconv.Unquote(s.src[start:s.i]); err == nil {
			return v
		}
		return strings.Trim(s.src[start:s.i], `"`)
	case '\'':
		s.literalString()
		return strings.Trim(s.src[start:s.i], `'`)
	}
	for !s.eof() && isBareKeyChar(s.peek()) {
		s.next()
	}
	return s.src[start:s.i]
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// value skips one value, recording the elements of arrays and the keys of
// inline tables under path.
func (s *posScanner) value(path []string) {
	if s.eof() {
		return
	}
	switch s.peek() {
	case '"':
		s.basicString()
	case '\'':
		s.literalString()
	case '[':
		s.array(path)
	case '{':
		s.inlineTable(path)
	default:
		for !s.eof() && !strings.ContainsRune(",]}\n#", rune(s.peek())) {
			s.next()
		}
	}
}

func (s *posScanner) array(path []string) {
	s.next()
	for idx := 0; ; idx++ {
		s.skipBlank(true)
		if s.eof() {
			return
		}
		if s.peek() == ']' {
			s.next()
			return
		}
		elem := append(append([]string(nil), path...), strconv.Itoa(idx))
		s.out[pathKey(elem)] = s.here()
		start := s.i
		s.value(elem)
		s.skipBlank(true)
		if !s.eof() && s.peek() == ',' {
			s.next()
		} else if s.i == start {
			s.next()
		}
	}
}

func (s *posScanner) inlineTable(path []string) {
	s.next()
	for {
		s.skipBlank(true)
		if s.eof() {
			return
		}
		if s.peek() == '}' {
			s.next()
			return
		}
		start := s.i
		s.keyValue(path)
		s.skipBlank(true)
		if !s.eof() && s.peek() == ',' {
			s.next()
		} else if s.i == start {
			s.next()
		}
	}
}

// basicString skips "..." or """...""".
func (s *posScanner) basicString() { s.quoted(`"`, true) }

// literalString skips '...' or ”'...”'.
func (s *posScanner) literalString() { s.quoted(`'`, false) }

func (s *posScanner) quoted(q string, escapes bool) {
	end := q
	if s.has(q + q + q) {
		end = q + q + q
	}
	for range len(end) {
		s.next()
	}
	for !s.eof() {
		if escapes && s.peek() == '\\' {
			s.next()
			if !s.eof() {
				s.next()
			}
			continue
		}
		if s.has(end) {
			for range len(end) {
				s.next()
			}
			for len(end) == 3 && s.has(q) { // up to two quotes may end the content
				s.next()
			}
			return
		}
		s.next()
	}
}
