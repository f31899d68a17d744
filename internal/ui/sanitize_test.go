package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/ui/safetext"
)

// hostile is what a host under an attacker's control prints: an OSC 52
// clipboard write, an erased line and a bare CR to overwrite what drover
// prints, a cursor move, backspaces, a C1 CSI, a bidi override and a byte
// of invalid UTF-8.
const hostile = "\x1b]52;c;aGVsbG8=\a\x1b[2Kexit 0\r\x1b[1Aok\b\b\u009b2J\u202eexe.txt\xff\tend"

// hostileShown is hostile as every renderer must show it.
const hostileShown = `\x1b]52;c;aGVsbG8=\x07\x1b[2Kexit 0\x0d\x1b[1Aok\x08\x08\u009b2J\u202eexe.txt\xff`

// checkNoRaw fails when out holds any byte or rune of hostile raw, beyond
// the escape codes of drover's own styles (SGR) and, for the board, its
// redraw sequences.
func checkNoRaw(t *testing.T, out string, board bool) {
	t.Helper()
	s := out
	if board {
		s = boardRedraw.ReplaceAllString(s, "")
	}
	s = sgr.ReplaceAllString(s, "")
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\n' && c != '\t' || c == 0x7f {
			t.Errorf("raw control byte %#x at %d in %q", c, i, s)
			return
		}
	}
	for _, r := range s {
		if safetext.Unsafe(r) || r == '\ufffd' && !strings.Contains(hostile, "\ufffd") {
			t.Errorf("raw %U in %q", r, s)
			return
		}
	}
	if !strings.Contains(out, `\x1b]52;c;aGVsbG8=\x07`) {
		t.Errorf("the clipboard write is not shown as text in %q", out)
	}
}

func hostileRun() []event.Event {
	return []event.Event{
		at(0, event.Event{Kind: event.RunStart, Runbook: "exec", Hosts: []string{"web01"}, User: "deploy"}),
		at(1, event.Event{Kind: event.StageStart, Stage: "exec", Hosts: []string{"web01"}}),
		at(2, event.Event{Kind: event.HostStart, Stage: "exec", Host: "web01"}),
		at(3, event.Event{Kind: event.StepStart, Stage: "exec", Host: "web01", Step: "exec", StepIndex: 1}),
		at(4, event.Event{Kind: event.StepOutput, Stage: "exec", Host: "web01", Step: "exec", Line: hostile}),
		at(5, event.Event{Kind: event.StepEnd, Stage: "exec", Host: "web01", Step: "exec", Result: event.Failed,
			Exit: exitCode(1), Error: "exit 1: " + hostile, Duration: time.Second}),
		at(6, event.Event{Kind: event.HostEnd, Stage: "exec", Host: "web01", Result: event.Failed, Error: hostile}),
		at(7, event.Event{Kind: event.Note, Text: "lock of " + hostile}),
		at(8, event.Event{Kind: event.StageEnd, Stage: "exec", Result: event.Failed}),
		at(9, event.Event{Kind: event.RunEnd, Result: event.Failed, Code: 1}),
	}
}

func TestRenderersSanitize(t *testing.T) {
	hosts := []string{"web01", "web02"}
	tests := []struct {
		name   string
		board  bool
		render func(w *bytes.Buffer, st *Style)
	}{
		{"fold", false, func(w *bytes.Buffer, st *Style) {
			Fold(w, st, []HostOutput{{Host: "web01", Output: hostile + "\r\nsecond line\n", Exit: 1},
				{Host: "web02", Err: "connection lost: " + hostile}})
		}},
		{"lines", false, func(w *bytes.Buffer, st *Style) {
			l := NewLines(w, st, true, hosts)
			for _, e := range hostileRun() {
				l.Emit(e)
			}
		}},
		{"gate", false, func(w *bytes.Buffer, st *Style) {
			g := NewGate(w, st, func(_ context.Context, prompt string) (string, error) {
				w.WriteString(prompt + "y\n")
				return "y", nil
			})
			g.Ask(context.Background(), engine.Question{Kind: engine.AskRetry, Stage: "exec", Host: "web01",
				Err: hostile, Tail: []string{"before", hostile}})
			g.Ask(context.Background(), engine.Question{Kind: engine.AskConfirm, Stage: "exec", Host: "web01",
				Text: "looks fine? " + hostile})
		}},
		{"summary", false, func(w *bytes.Buffer, st *Style) {
			Summary(w, st, []SummaryRow{{Host: "web01", Stage: "exec", Result: event.Failed, Note: hostile}})
		}},
		{"timeline", false, func(w *bytes.Buffer, st *Style) { Timeline(w, st, hostileRun(), true) }},
		{"releases", false, func(w *bytes.Buffer, st *Style) {
			Releases(w, st, []ReleaseRow{{Host: "web01", Current: "r1", Previous: hostile, Lock: hostile},
				{Host: "web02", Error: hostile}})
		}},
		{"runs", false, func(w *bytes.Buffer, st *Style) {
			Runs(w, st, []RunRow{{ID: "r", Runbook: hostile, User: "deploy", Result: "ok"}})
		}},
		{"problems", false, func(w *bytes.Buffer, st *Style) {
			Problems(w, st, []ProblemRow{{Host: "web01", Problem: "unreachable", Detail: hostile}})
		}},
		{"board", true, func(w *bytes.Buffer, st *Style) {
			b := NewBoard(BoardOptions{Out: w, Style: st, Hosts: hosts, Verbose: true, Interval: time.Hour,
				Size: func() (int, int) { return 200, 24 }, Now: func() time.Time { return time.Unix(100, 0) }})
			for _, e := range hostileRun()[:5] {
				b.Emit(e)
			}
			b.Emit(event.Event{Kind: event.GateAsk, Stage: "exec", Host: "web01"}) // draws the held lines
			b.Emit(event.Event{Kind: event.GateAnswer, Stage: "exec", Host: "web01", Answer: "y"})
			for _, e := range hostileRun()[5:] {
				b.Emit(e)
			}
			b.Close()
		}},
	}
	for _, tt := range tests {
		for _, color := range []bool{false, true} {
			name := tt.name
			if color {
				name += "/color"
			}
			t.Run(name, func(t *testing.T) {
				var out bytes.Buffer
				tt.render(&out, NewStyle(&out, color))
				checkNoRaw(t, out.String(), tt.board)
				if !color && !tt.board {
					checkGolden(t, "hostile-"+tt.name+".golden", out.String())
				}
			})
		}
	}
}

// TestBoardShowsHostileLine checks the board's own view of a host in
// flight: the tail of what it printed shows the escapes as text too.
func TestBoardShowsHostileLine(t *testing.T) {
	st := NewStyle(&bytes.Buffer{}, false)
	s := newBoardState(st, true, "exec", []string{"web01"})
	var above []string
	for _, e := range hostileRun()[:5] {
		if l := s.apply(e); l != "" {
			above = append(above, l)
		}
	}
	frame := strings.Join(s.frame(time.Unix(100, 0), 0, 400, 10), "\n")
	if !strings.Contains(strings.Join(above, "\n"), hostileShown) {
		t.Errorf("verbose line above the board = %q, want it to hold %q", above, hostileShown)
	}
	checkNoRaw(t, frame+"\n"+strings.Join(above, "\n"), false)
}

func TestJSONSinkEscapes(t *testing.T) {
	var out bytes.Buffer
	j := NewJSON(&out)
	for _, e := range hostileRun() {
		if err := j.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range out.Bytes() {
		if b < ' ' && b != '\n' || b == 0x7f {
			t.Fatalf("raw control byte %#x at %d in %q", b, i, out.String())
		}
	}
	for _, r := range out.String() {
		if safetext.Unsafe(r) {
			t.Fatalf("raw %U in %q", r, out.String())
		}
	}
	line := strings.Split(out.String(), "\n")[4]
	var e event.Event
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	if want := strings.ToValidUTF8(hostile, "\ufffd"); e.Line != want {
		t.Errorf("decoded line = %q, want %q (the values stay exact)", e.Line, want)
	}
}

var (
	sgr         = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	boardRedraw = regexp.MustCompile(`\r\x1b\[[0-9]+A|\x1b\[K|\x1b\[J`)
)
