package safetext

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestLine(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "listening on :8080", "listening on :8080"},
		{"tab kept", "a\tb", "a\tb"},
		{"OSC 52 clipboard write", "\x1b]52;c;aGVsbG8=\a", `\x1b]52;c;aGVsbG8=\x07`},
		{"erase line and bare CR", "\x1b[2Kexit 0\r", `\x1b[2Kexit 0\x0d`},
		{"cursor up", "ok\x1b[1A", `ok\x1b[1A`},
		{"backspace", "exit 1\b\b\b\b\b\bexit 0", `exit 1\x08\x08\x08\x08\x08\x08exit 0`},
		{"line feed in a line", "a\nb", `a\x0ab`},
		{"DEL and NUL", "a\x7fb\x00", `a\x7fb\x00`},
		{"C1 CSI", "a\u009b2Jb", `a\u009b2Jb`},
		{"bidi override", "abc\u202eexe.txt", `abc\u202eexe.txt`},
		{"bidi isolate and mark", "\u2066x\u2069\u200f", `\u2066x\u2069\u200f`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"valid UTF-8 kept", "größe ✓ 日本", "größe ✓ 日本"},
		{"replacement char kept", "a\ufffdb", "a\ufffdb"},
		{"backslashes kept", `C:\x1b`, `C:\x1b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Line(tt.in)
			if got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Line(got); again != got {
				t.Errorf("Line is not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lines kept", "a\nb\n", "a\nb\n"},
		{"CRLF line ends", "a\r\nb\r\n", "a\nb\n"},
		{"bare CR escaped", "a\rb\n", `a\x0db` + "\n"},
		{"escape on its own line", "x\n\x1b[2J\n", "x\n" + `\x1b[2J` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestJSON checks what encoding/json leaves raw and that JSON escapes it
// without changing the decoded value.
func TestJSON(t *testing.T) {
	in := "esc\x1b bel\a cr\r del\x7f c1\u009b bidi\u202e sep\u2028 bad\xff ok✓"
	raw, err := json.Marshal(map[string]string{"line": in})
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"\x7f", "\u009b", "\u202e"} {
		if !bytes.Contains(raw, []byte(leak)) {
			t.Errorf("encoding/json now escapes %q: JSON may not need to", leak)
		}
	}
	safe := JSON(raw)
	for _, b := range safe {
		if b < ' ' || b == 0x7f {
			t.Errorf("JSON output holds control byte %#x: %q", b, safe)
		}
	}
	for _, r := range string(safe) {
		if Unsafe(r) {
			t.Errorf("JSON output holds %U: %q", r, safe)
		}
	}
	var back, want map[string]string
	if err := json.Unmarshal(safe, &back); err != nil {
		t.Fatalf("JSON output does not decode: %v\n%s", err, safe)
	}
	json.Unmarshal(raw, &want)
	if back["line"] != want["line"] {
		t.Errorf("decoded %q, want %q", back["line"], want["line"])
	}
	if !bytes.Contains(safe, []byte("ok✓")) {
		t.Errorf("printable text changed: %s", safe)
	}
}
