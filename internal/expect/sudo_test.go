package expect

import (
	"os/exec"
	"regexp"
	"testing"
)

func TestNewToken(t *testing.T) {
	shape := regexp.MustCompile(`^\[drover-sudo-[0-9a-f]{8}\]:$`)
	seen := map[string]bool{}
	for range 100 {
		tok := NewToken()
		if !shape.MatchString(tok) {
			t.Fatalf("token %q has the wrong shape", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}

func TestSudoCommand(t *testing.T) {
	tests := []struct {
		name string
		cmd  string
		want string
	}{
		{"plain", "systemctl restart app", `sudo -p '[t]:' -- sh -c 'systemctl restart app'`},
		{"single quotes", `echo 'hi'`, `sudo -p '[t]:' -- sh -c 'echo '\''hi'\'''`},
		{"shell syntax stays quoted", `a && b; $(c) "d"`, `sudo -p '[t]:' -- sh -c 'a && b; $(c) "d"'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SudoCommand("[t]:", tt.cmd); got != tt.want {
				t.Errorf("SudoCommand = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestSudoCommandQuotingRoundTrip runs the quoted command through a real
// shell, with sudo replaced by a function that drops its options.
func TestSudoCommandQuotingRoundTrip(t *testing.T) {
	cmd := `printf '%s|' "it's" '$HOME' "a\"b"`
	script := `sudo() { shift 3; "$@"; }; ` + SudoCommand(NewToken(), cmd)
	out, err := exec.Command("sh", "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `it's|$HOME|a"b|`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
