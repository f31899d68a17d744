package runbook

import (
	"strings"
	"testing"
)

func TestScanPositions(t *testing.T) {
	src := `name = "x" # a comment with [brackets] and "quotes"
text = """
[[stage]]
not = "a key"
"""
lit = '''it's'''
vars = { dc = "ams", "rack.no" = 3 }
list = [
  1,  # one
  "25%",
]

[hosts."web.example.com"]
port = 22

[[stage]]
name = "a"
  [[stage.step]]
  run = "one"

[[stage]]
  [[stage.step]]
  run = 'two'
  [[stage.step]]
  a.b = 1
`
	pos := scanPositions(src)
	tests := []struct {
		path      string
		line, col int
	}{
		{"name", 1, 1},
		{"text", 2, 1},
		{"lit", 6, 1},
		{"vars.dc", 7, 10},
		{"vars.rack.no", 7, 22},
		{"list.1", 10, 3},
		{"hosts.web.example.com", 13, 1},
		{"hosts.web.example.com.port", 14, 1},
		{"stage.0.name", 17, 1},
		{"stage.0.step.0.run", 19, 3},
		{"stage.1", 21, 1},
		{"stage.1.step.0.run", 23, 3},
		{"stage.1.step.1.a.b", 25, 3},
		{"stage.1.step.1.missing", 24, 3},
		{"nowhere", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			path := splitTestPath(tt.path)
			got := pos.at(path)
			if got.Line != tt.line || got.Col != tt.col {
				t.Errorf("at(%q) = %d:%d, want %d:%d", tt.path, got.Line, got.Col, tt.line, tt.col)
			}
		})
	}
	if _, ok := pos[pathKey([]string{"stage", "2"})]; ok {
		t.Errorf("a [[stage]] inside a multi-line string was counted")
	}
}

// splitTestPath splits "hosts.web.example.com.port" keeping the quoted host
// name of the fixture together.
func splitTestPath(p string) []string {
	const host = "web.example.com"
	const rack = "rack.no"
	p = strings.ReplaceAll(strings.ReplaceAll(p, host, "\x00"), rack, "\x01")
	parts := strings.Split(p, ".")
	for i := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(parts[i], "\x00", host), "\x01", rack)
	}
	return parts
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		name string
		d    Diagnostic
		want string
	}{
		{"positioned", Diagnostic{File: "a.toml", Line: 3, Col: 7, Msg: "bad"}, "a.toml:3:7: bad"},
		{"file only", Diagnostic{File: "a.toml", Msg: "--set x: bad"}, "a.toml: --set x: bad"},
		{"nothing", Diagnostic{Msg: "bad"}, "bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		name, word, want string
		candidates       []string
	}{
		{"extra letter", "max_fails", "max_fail", []string{"name", "max_fail", "parallel"}},
		{"swapped letters", "wbe", "web", []string{"db", "web"}},
		{"nothing close", "colour", "", []string{"name", "gate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggest(tt.word, tt.candidates); got != tt.want {
				t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

// FuzzScanPositions checks that the position scan ends on any input,
// including input the TOML decoder would refuse.
func FuzzScanPositions(f *testing.F) {
	for _, s := range []string{paramsRunbook, hostRunbook, "a = [1, {b = 2}, '''x'''\n", `x = "\"`, "[[a.b]]\n[a\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		scanPositions(src)
	})
}
