package expect

import (
	"io"
	"regexp"
	"strings"
	"testing"
)

// TestWindowStaysBounded feeds a megabyte of output, some of it one long
// line, in uneven pieces, and checks that goexpect never saw more than one
// window's worth at once, and that the prompt after it still matched.
func TestWindowStaysBounded(t *testing.T) {
	c, err := newConversation(Options{Rules: []Rule{{Match: regexp.MustCompile(`Continue\? $`), Send: "y"}}}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer c.m.close()
	out := strings.Repeat("a fairly ordinary log line\n", 20000) + strings.Repeat("x", 300000) + "\nContinue? "
	for i, n := 0, 1; i < len(out); i, n = i+n, n*7%40000+1 {
		if _, err := c.output(t.Context(), []byte(out[i:min(len(out), i+n)])); err != nil {
			t.Fatal(err)
		}
	}
	if c.fired[0] != 1 {
		t.Fatalf("prompt not answered: fired %v", c.fired)
	}
	if limit := matchSize + maxCarry; c.m.largest > limit {
		t.Fatalf("goexpect saw a window of %d bytes, limit %d", c.m.largest, limit)
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"partial line only", "Password: ", "Password: "},
		{"keeps two lines", "one\ntwo\nthr", "two\nthr"},
		{"ends with newline", "one\ntwo\n", "two\n"},
		{"long line cut", strings.Repeat("x", maxCarry+5), strings.Repeat("x", maxCarry)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tail(tt.in); got != tt.want {
				t.Errorf("tail(%.40q) = %.40q, want %.40q", tt.in, got, tt.want)
			}
		})
	}
}
