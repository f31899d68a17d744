package ui

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// at is an event at t0 plus ms milliseconds.
func at(ms int, e event.Event) event.Event {
	e.Time = t0.Add(time.Duration(ms) * time.Millisecond)
	return e
}

func TestBoardStateFrame(t *testing.T) {
	hosts := []string{"web01", "web02", "web03", "web04"}
	start := []event.Event{
		at(0, event.Event{Kind: event.RunStart, Runbook: "cutover", Hosts: hosts}),
		at(0, event.Event{Kind: event.StageStart, Stage: "cutover", Hosts: hosts}),
		at(0, event.Event{Kind: event.BatchStart, Stage: "cutover", Batch: 2, Batches: 3, Hosts: hosts[:3]}),
		at(100, event.Event{Kind: event.HostStart, Stage: "cutover", Host: "web01"}),
		at(100, event.Event{Kind: event.HostStart, Stage: "cutover", Host: "web02"}),
		at(200, event.Event{Kind: event.StepStart, Stage: "cutover", Host: "web02", Step: "restart", StepIndex: 2}),
		at(300, event.Event{Kind: event.StepOutput, Host: "web02", Line: "started \x1b[1mpid\x1b[0m 42\r"}),
		at(400, event.Event{Kind: event.HostEnd, Stage: "cutover", Host: "web01", Result: event.OK, Duration: 300 * time.Millisecond}),
	}
	tests := []struct {
		name   string
		extra  []event.Event
		width  int
		rows   int
		want   []string
		scroll string // the line the last event adds above the board
	}{
		{
			name:   "one in flight",
			width:  200,
			rows:   10,
			want:   []string{"cutover │ stage cutover │ batch 2/3 │ 1 ok · 0 failed · 1 running · 2 waiting · 0 skipped │ 1.0s", "  ⠙ web02  #2  restart             900ms  started \\x1b[1mpid\\x1b[0m 42"},
			scroll: "✓ web01  cutover  300ms",
		},
		{
			name:  "failure with its step",
			width: 200,
			rows:  10,
			extra: []event.Event{
				at(500, event.Event{Kind: event.StepEnd, Host: "web02", Step: "restart", Result: event.Failed, Error: "exit 1"}),
				at(600, event.Event{Kind: event.HostEnd, Stage: "cutover", Host: "web02", Result: event.Failed, Duration: 500 * time.Millisecond}),
			},
			want:   []string{"cutover │ stage cutover │ batch 2/3 │ 1 ok · 1 failed · 0 running · 2 waiting · 0 skipped │ 1.0s"},
			scroll: "✗ web02  cutover  500ms  failed: restart: exit 1",
		},
		{
			name:  "hosts stopped by an abort",
			width: 200,
			rows:  10,
			extra: []event.Event{
				at(500, event.Event{Kind: event.HostEnd, Stage: "cutover", Host: "web03", Result: event.Aborted, Text: "not started: the run stopped"}),
			},
			want: []string{"cutover │ stage cutover │ batch 2/3 │ 1 ok · 0 failed · 1 running · 1 waiting · 0 skipped · 1 stopped │ 1.0s",
				"  ⠙ web02  #2  restart             900ms  started \\x1b[1mpid\\x1b[0m 42"},
			scroll: "! web03  cutover  aborted: not started: the run stopped",
		},
		{
			name:  "undo steps",
			width: 200,
			rows:  10,
			extra: []event.Event{
				at(500, event.Event{Kind: event.UndoStart, Stage: "cutover", Hosts: []string{"web01"}}),
				at(500, event.Event{Kind: event.StepStart, Stage: "cutover", Host: "web01", Step: "switch back", StepIndex: 1, Undo: true}),
				at(600, event.Event{Kind: event.StepEnd, Stage: "cutover", Host: "web01", Step: "switch back", Undo: true, Result: event.OK, Duration: 100 * time.Millisecond}),
			},
			want:   []string{"cutover │ undo cutover │ 1 host · 0 running │ 1.0s"},
			scroll: "↺ web01  undo switch back  100ms",
		},
		{
			name:   "cut to the width",
			width:  30,
			rows:   10,
			want:   []string{"cutover │ stage cutover │ ba…", "  ⠙ web02  #2  restart      …"},
			scroll: "✓ web01  cutover  300ms",
		},
		{
			name:  "more hosts than rows",
			width: 200,
			rows:  2,
			extra: []event.Event{
				at(500, event.Event{Kind: event.HostStart, Host: "web03"}),
				at(500, event.Event{Kind: event.HostStart, Host: "web04"}),
			},
			want: []string{"cutover │ stage cutover │ batch 2/3 │ 1 ok · 0 failed · 3 running · 0 waiting · 0 skipped │ 1.0s",
				"  ⠙ web02  #2  restart             900ms  started \\x1b[1mpid\\x1b[0m 42", "  … and 2 more running"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newBoardState(NewStyle(&bytes.Buffer{}, false), false, "", hosts)
			var last string
			for _, e := range append(append([]event.Event(nil), start...), tt.extra...) {
				last = s.apply(e)
			}
			if tt.scroll != "" && last != tt.scroll {
				t.Errorf("scroll line = %q, want %q", last, tt.scroll)
			}
			got := s.frame(t0.Add(time.Second), 1, tt.width, tt.rows)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("frame:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLastState(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "listening on :8080", "listening on :8080"},
		{"colour codes show as text", "\x1b[32mok\x1b[0m done", `\x1b[32mok\x1b[0m done`},
		{"progress redrawn with CR", "10%\r50%\r100%", "100%"},
		{"trailing CR", "done\r", "done"},
		{"tab and bell", "a\tb\x07", `a    b\x07`},
		{"clear screen", "\x1b[2Jboom", `\x1b[2Jboom`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lastState(tt.in); got != tt.want {
				t.Errorf("lastState(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// screen is a terminal stand-in the board writes to.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// newTestBoard is a board that draws only when told (no ticks in a test's
// time) on an 80x24 screen.
func newTestBoard(verbose bool) (*Board, *screen) {
	scr := &screen{}
	b := NewBoard(BoardOptions{Out: scr, Style: NewStyle(scr, false), Hosts: []string{"web01", "web02"},
		Verbose: verbose, Interval: time.Hour, Size: func() (int, int) { return 80, 24 },
		Now: func() time.Time { return t0.Add(time.Second) }})
	return b, scr
}

func TestBoardHoldsForGate(t *testing.T) {
	b, scr := newTestBoard(true)
	b.Emit(at(0, event.Event{Kind: event.StageStart, Stage: "cutover", Hosts: []string{"web01", "web02"}}))
	b.Emit(at(0, event.Event{Kind: event.HostStart, Host: "web01"}))
	release := b.Hold() // draws nothing, but flushes the stage line
	release()           // draws the board
	before := scr.String()
	if !strings.Contains(before, "1 running") {
		t.Fatalf("no board before the question:\n%q", before)
	}
	b.Emit(at(10, event.Event{Kind: event.GateAsk, Stage: "cutover", Text: "confirm: looks fine?"}))
	erased := scr.String()
	if !strings.HasSuffix(erased, "\r\x1b[2A\x1b[J") {
		t.Errorf("the gate.ask did not erase the board: %q", erased[len(before):])
	}
	b.Emit(at(20, event.Event{Kind: event.StepOutput, Host: "web01", Line: "still going"}))
	b.Hold()() // a round trip through the board's goroutine
	if got := scr.String(); got != erased {
		t.Errorf("the board wrote while a question was asked: %q", got[len(erased):])
	}
	b.Emit(at(30, event.Event{Kind: event.GateAnswer, Stage: "cutover", Answer: "y"}))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	after := scr.String()[len(erased):]
	if !strings.HasPrefix(after, "web01 │ still going\x1b[K\n") {
		t.Errorf("the held output line did not come first after the answer: %q", after)
	}
}

func TestBoardCloseShowsEveryLine(t *testing.T) {
	b, scr := newTestBoard(true)
	const n = 5000
	for i := range n {
		b.Emit(at(i, event.Event{Kind: event.StepOutput, Host: "web02", Line: fmt.Sprintf("line %d", i)}))
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b.Emit(event.Event{Kind: event.Note, Text: "after close"}) // dropped, does not block
	out := scr.String()
	next := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, fmt.Sprintf("line %d\x1b", next)) {
			next++
		}
	}
	if next != n {
		t.Errorf("saw %d output lines in order, want %d", next, n)
	}
}

func TestBoardRowsAfterResize(t *testing.T) {
	tests := []struct {
		name  string
		drawn []int
		width int
		rows  int
	}{
		{"same width", []int{79, 40}, 80, 2},
		{"narrowed: long lines wrap", []int{79, 40}, 40, 3},
		{"nothing drawn", nil, 80, 0},
		{"empty line", []int{0}, 80, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Board{drawn: tt.drawn}
			if got := b.rowsDrawn(tt.width); got != tt.rows {
				t.Errorf("rowsDrawn(%d) = %d, want %d", tt.width, got, tt.rows)
			}
		})
	}
}
