package expect

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var errNoSecret = errors.New("no such secret")

func secrets(m map[string]string) func(context.Context, string) (string, error) {
	return func(_ context.Context, name string) (string, error) {
		if v, ok := m[name]; ok {
			return v, nil
		}
		return "", errNoSecret
	}
}

func TestRun(t *testing.T) {
	re := regexp.MustCompile
	token := NewToken()
	tests := []struct {
		name        string
		script      func(h *fakeHost) error
		opts        Options
		wantErr     string // "" for nil
		wantUntil   bool
		wantAnswers []string
		wantFired   map[int]int
	}{
		{
			name: "three questions answered by three rules",
			script: func(h *fakeHost) error {
				for _, q := range []string{"Name? ", "Colour? ", "Sure (y/n)? "} {
					if _, err := h.ask(q); err != nil {
						return err
					}
				}
				return h.say("done\n")
			},
			opts: Options{Rules: []Rule{
				{Match: re(`Name\? $`), Send: "drover"},
				{Match: re(`Colour\? $`), Send: "blue"},
				{Match: re(`\(y/n\)\? $`), Send: "y"},
			}},
			wantAnswers: []string{"drover\n", "blue\n", "y\n"},
			wantFired:   map[int]int{0: 1, 1: 1, 2: 1},
		},
		{
			name: "unanswered prompt is stuck",
			script: func(h *fakeHost) error {
				h.say("copying\n")
				h.say("Overwrite (y/n)? ")
				return h.hang()
			},
			opts:      Options{IdleTimeout: 100 * time.Millisecond},
			wantErr:   `stuck at prompt: "Overwrite (y/n)? "`,
			wantFired: map[int]int{},
		},
		{
			name: "until ends the run",
			script: func(h *fakeHost) error {
				h.say("starting\nlistening on :8080\n")
				return h.hang()
			},
			opts:      Options{Until: re(`listening on :8080`), FailOn: re(`FATAL`)},
			wantUntil: true,
			wantFired: map[int]int{},
		},
		{
			name: "fail_on ends the run",
			script: func(h *fakeHost) error {
				h.say("starting\nFATAL: no db\n")
				return h.hang()
			},
			opts:      Options{Until: re(`listening`), FailOn: re(`FATAL`)},
			wantErr:   `output matched fail_on "FATAL": "FATAL: no db"`,
			wantFired: map[int]int{},
		},
		{
			name: "fail rule",
			script: func(h *fakeHost) error {
				if _, err := h.ask("New password: "); err != nil {
					return err
				}
				h.say("passwd: Authentication token manipulation error\n")
				return h.hang()
			},
			opts: Options{Secret: secrets(map[string]string{"pw": "s3cr3t"}), Rules: []Rule{
				{Match: re(`(?i)new password: $`), Secret: "pw"},
				{Match: re(`Authentication token manipulation error`), Fail: "passwd refused the new password"},
			}},
			wantErr:     "passwd refused the new password",
			wantAnswers: []string{"s3cr3t\n"},
			wantFired:   map[int]int{0: 1},
		},
		{
			name: "rule asked more than max is stuck at once",
			script: func(h *fakeHost) error {
				for range 3 {
					if _, err := h.ask("New password: "); err != nil {
						return err
					}
					h.say("\n") // no echo, but the newline
				}
				return nil
			},
			opts: Options{IdleTimeout: time.Minute, Secret: secrets(map[string]string{"pw": "s3cr3t"}), Rules: []Rule{
				{Match: re(`(?i)new password: $`), Secret: "pw", Max: 2},
			}},
			wantErr:     `stuck at prompt: "New password: "`,
			wantAnswers: []string{"s3cr3t\n", "s3cr3t\n"},
			wantFired:   map[int]int{0: 2},
		},
		{
			name: "sudo wrong password is sent once",
			script: func(h *fakeHost) error {
				if _, err := h.ask(token); err != nil {
					return err
				}
				h.say("\nSorry, try again.\n" + token)
				return h.hang()
			},
			opts: Options{IdleTimeout: time.Minute, Secret: secrets(map[string]string{"sudo": "letmein"}),
				Rules: SudoRules(token)},
			wantErr:     WrongSudoPassword,
			wantAnswers: []string{"letmein\n"},
			wantFired:   map[int]int{1: 1},
		},
		{
			name: "sudo asking again without sorry",
			script: func(h *fakeHost) error {
				if _, err := h.ask(token); err != nil {
					return err
				}
				h.say("\n" + token)
				return h.hang()
			},
			opts: Options{IdleTimeout: time.Minute, Secret: secrets(map[string]string{"sudo": "letmein"}),
				Rules: SudoRules(token)},
			wantErr:     WrongSudoPassword,
			wantAnswers: []string{"letmein\n"},
			wantFired:   map[int]int{1: 1},
		},
		{
			name: "sudo right password",
			script: func(h *fakeHost) error {
				if _, err := h.ask(token); err != nil {
					return err
				}
				return h.say("\nrestarted\n")
			},
			opts:        Options{Secret: secrets(map[string]string{"sudo": "letmein"}), Rules: SudoRules(token)},
			wantAnswers: []string{"letmein\n"},
			wantFired:   map[int]int{1: 1},
		},
		{
			name: "deadline",
			script: func(h *fakeHost) error {
				h.say("working\n")
				return h.hang()
			},
			// The deadline counts from the start, so it must leave the
			// first output time to arrive on a loaded machine.
			opts:      Options{Timeout: time.Second},
			wantErr:   `timed out after 1s; last output: "working"`,
			wantFired: map[int]int{},
		},
		{
			name: "secret echoed in a failure is masked",
			script: func(h *fakeHost) error {
				if _, err := h.ask("Password: "); err != nil {
					return err
				}
				h.say("FATAL: bad password hunter2\n")
				return h.hang()
			},
			opts: Options{FailOn: re(`FATAL`), Secret: secrets(map[string]string{"pw": "hunter2"}),
				Rules: []Rule{{Match: re(`Password: $`), Secret: "pw"}}},
			wantErr:     `output matched fail_on "FATAL": "FATAL: bad password ********"`,
			wantAnswers: []string{"hunter2\n"},
			wantFired:   map[int]int{0: 1},
		},
		{
			name: "missing secret",
			script: func(h *fakeHost) error {
				h.say("Password: ")
				return h.hang()
			},
			opts: Options{Secret: secrets(nil),
				Rules: []Rule{{Match: re(`Password: $`), Secret: "pw"}}},
			wantErr:   `expect rule 0: resolve secret "pw": no such secret`,
			wantFired: map[int]int{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, res, err := converse(t, t.Context(), tt.script, tt.opts)
			if got := errString(err); got != tt.wantErr {
				t.Fatalf("error = %q, want %q", got, tt.wantErr)
			}
			if res.Until != tt.wantUntil {
				t.Errorf("Until = %v, want %v", res.Until, tt.wantUntil)
			}
			if got := h.answers(); !slices.Equal(got, tt.wantAnswers) {
				t.Errorf("host read %q, want %q", got, tt.wantAnswers)
			}
			if fmt.Sprint(res.Fired) != fmt.Sprint(tt.wantFired) {
				t.Errorf("Fired = %v, want %v", res.Fired, tt.wantFired)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRunErrorTypes(t *testing.T) {
	hang := func(h *fakeHost) error {
		h.say("Overwrite (y/n)? ")
		return h.hang()
	}
	tests := []struct {
		name  string
		opts  Options
		check func(error) bool
	}{
		{"stuck", Options{IdleTimeout: 50 * time.Millisecond}, func(err error) bool {
			var e *StuckError
			return errors.As(err, &e) && e.Prompt == "Overwrite (y/n)? "
		}},
		{"timeout", Options{Timeout: time.Second}, func(err error) bool {
			var e *TimeoutError
			return errors.As(err, &e) && e.LastLine == "Overwrite (y/n)? "
		}},
		{"fail_on", Options{FailOn: regexp.MustCompile(`\(y/n\)`)}, func(err error) bool {
			var e *FailError
			return errors.As(err, &e) && e.Rule == -1 && e.Line == "Overwrite (y/n)? "
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := converse(t, t.Context(), hang, tt.opts)
			if !tt.check(err) {
				t.Fatalf("unexpected error %#v", err)
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	script := func(h *fakeHost) error {
		h.say("waiting\n")
		cancel()
		return h.hang()
	}
	_, _, err := converse(t, ctx, script, Options{Timeout: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

func TestRunOutputLines(t *testing.T) {
	var lines []string
	script := func(h *fakeHost) error {
		for _, s := range []string{"one\r\n", "tw", "o\n\nthr", "ee"} {
			if err := h.say(s); err != nil {
				return err
			}
		}
		return nil
	}
	_, res, err := converse(t, t.Context(), script, Options{Output: func(l string) { lines = append(lines, l) }})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"one", "two", "", "three"}; !slices.Equal(lines, want) {
		t.Errorf("Output got %q, want %q", lines, want)
	}
	if res.LastLine != "three" {
		t.Errorf("LastLine = %q, want %q", res.LastLine, "three")
	}
}

// TestMatchedBytesDoNotFireAgain: a prompt answered once is not answered
// again because more output arrived after it.
func TestMatchedBytesDoNotFireAgain(t *testing.T) {
	script := func(h *fakeHost) error {
		if _, err := h.ask("Continue? "); err != nil {
			return err
		}
		for i := range 5 {
			h.say(fmt.Sprintf("line %d\n", i))
		}
		return nil
	}
	h, res, err := converse(t, t.Context(), script, Options{Rules: []Rule{{Match: regexp.MustCompile(`Continue\? `), Send: "y"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Fired[0] != 1 || len(h.answers()) != 1 {
		t.Fatalf("fired %d times, host read %q", res.Fired[0], h.answers())
	}
}

func TestPromptSplitAtEveryBoundary(t *testing.T) {
	const prompt = "Overwrite /srv/app/current (y/n)? "
	rule := []Rule{{Match: regexp.MustCompile(`Overwrite .* \(y/n\)\? $`), Send: "y"}}
	for i := 0; i <= len(prompt); i++ {
		for j := i; j <= len(prompt); j += 3 {
			pieces := []string{"some output\n", prompt[:i], prompt[i:j], prompt[j:]}
			assertAnswered(t, pieces, rule)
		}
	}
	var bytewise []string
	for i := range len(prompt) {
		bytewise = append(bytewise, prompt[i:i+1])
	}
	assertAnswered(t, bytewise, rule)
}

// assertAnswered checks that the prompt written in pieces is answered once.
func assertAnswered(t *testing.T, pieces []string, rules []Rule) {
	t.Helper()
	script := func(h *fakeHost) error {
		for _, p := range pieces {
			if p == "" {
				continue
			}
			if err := h.say(p); err != nil {
				return err
			}
		}
		if _, err := h.readLine(); err != nil {
			return err
		}
		return h.say("\ndone\n")
	}
	h, res, err := converse(t, t.Context(), script, Options{Rules: rules, IdleTimeout: 5 * time.Second})
	if err != nil || res.Fired[0] != 1 || !slices.Equal(h.answers(), []string{"y\n"}) {
		t.Fatalf("pieces %q: err %v, fired %v, host read %q", pieces, err, res.Fired, h.answers())
	}
}

func FuzzSplitPrompt(f *testing.F) {
	f.Add("noise\n", []byte{1, 2, 3})
	f.Add(strings.Repeat("x", 9000), []byte{200, 7})
	f.Add("", []byte{0})
	rule := []Rule{{Match: regexp.MustCompile(`Overwrite \(y/n\)\? $`), Send: "y"}}
	const prompt = "Overwrite (y/n)? "
	f.Fuzz(func(t *testing.T, before string, cuts []byte) {
		if strings.Contains(before, "(y/n)") {
			t.Skip()
		}
		assertAnswered(t, chop(before+prompt, cuts), rule)
	})
}

// chop cuts s into pieces whose lengths come from cuts (cycled).
func chop(s string, cuts []byte) []string {
	var pieces []string
	for i := 0; s != ""; i++ {
		n := len(s)
		if len(cuts) > 0 {
			n = min(len(s), int(cuts[i%len(cuts)])+1)
		}
		pieces = append(pieces, s[:n])
		s = s[n:]
	}
	return pieces
}
