package release

import (
	"errors"
	"testing"
)

func TestQuote(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{name: "empty", in: ""},
		{name: "plain", in: "/srv/app"},
		{name: "spaces", in: "/srv/my app/x"},
		{name: "single quotes", in: "it's 'quoted'"},
		{name: "double quotes and dollars", in: `"$HOME" ${x} $(id) ` + "`id`"},
		{name: "backslashes and globs", in: `a\b\\c * ? [x]`},
		{name: "newline and tab", in: "a\nb\tc"},
		{name: "leading dash", in: "-n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runner.Run(t.Context(), "printf '%s' "+Quote(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.in {
				t.Errorf("sh saw %q, want %q", out, tt.in)
			}
		})
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{name: "date", id: "2026-11-22", ok: true},
		{name: "dated with suffix", id: "2026-11-22_1+build.3", ok: true},
		{name: "empty", id: ""},
		{name: "dot", id: "."},
		{name: "dot dot", id: ".."},
		{name: "reserved word", id: "previous"},
		{name: "hidden", id: ".tmp"},
		{name: "slash", id: "a/b"},
		{name: "traversal", id: "../etc"},
		{name: "space", id: "a b"},
		{name: "quote", id: "a'b"},
		{name: "glob", id: "a*"},
		{name: "dollar", id: "$x"},
		{name: "newline", id: "a\nb"},
		{name: "too long", id: string(make([]byte, 256))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckID(tt.id)
			if tt.ok != (err == nil) {
				t.Fatalf("CheckID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadID) {
				t.Errorf("error %v does not wrap ErrBadID", err)
			}
		})
	}
}
