package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
)

// boardState is what the live board knows of a run. Only the board's
// goroutine touches it; events change it and frames read it.
type boardState struct {
	st       *Style
	verbose  bool
	hostW    int // host column width
	runbook  string
	stage    string
	batch    int
	batches  int
	inStage  int // hosts of the current stage
	start    time.Time
	counts   map[event.Result]int // finished hosts of the current stage
	flights  map[string]*flight
	order    []string          // in-flight hosts, in start order
	stepErr  map[string]string // a host's failed step, for its end line
	prefixes map[string]string // styled "host │ " of verbose lines
	undo     bool
}

// flight is one host in flight: what it runs and what it last printed.
type flight struct {
	host      string
	step      string
	stepIndex int
	start     time.Time
	last      string
}

func newBoardState(st *Style, verbose bool, runbook string, hosts []string) *boardState {
	w := 4
	for _, h := range hosts {
		w = max(w, len(h))
	}
	return &boardState{st: st, verbose: verbose, hostW: w, runbook: runbook,
		counts: map[event.Result]int{}, flights: map[string]*flight{},
		stepErr: map[string]string{}, prefixes: map[string]string{}}
}

// apply records e and returns the line it adds above the board, if any.
// Every text of e is sanitized first: hosts' bytes never reach the screen
// raw.
func (s *boardState) apply(e event.Event) string {
	raw := e.Line
	e = sanitizeEvent(e)
	if s.start.IsZero() && !e.Time.IsZero() {
		s.start = e.Time
	}
	switch e.Kind {
	case event.RunStart:
		s.runbook = e.Runbook
		s.start = e.Time
	case event.StageStart:
		return s.stageStart(e)
	case event.UndoStart:
		s.stageStart(e)
		s.undo = true
		return s.st.Warn.Render(fmt.Sprintf("↺ undo stage %s on %s", e.Stage, inventory.Compress(e.Hosts)))
	case event.BatchStart:
		s.batch, s.batches = e.Batch, e.Batches
		if e.Batches <= 1 {
			return ""
		}
		return s.st.Dim.Render(fmt.Sprintf("  batch %d/%d: %s", e.Batch, e.Batches, inventory.Compress(e.Hosts)))
	case event.HostStart:
		s.startHost(e)
	case event.StepStart:
		s.startStep(e)
	case event.StepOutput:
		return s.output(e, raw)
	case event.StepEnd:
		if e.Undo {
			return s.endUndoStep(e)
		}
		if e.Result != event.OK && e.Result != event.Skipped && e.Error != "" {
			s.stepErr[e.Host] = fmt.Sprintf("%s: %s", e.Step, e.Error)
		}
	case event.StageEnd, event.RunEnd:
		clear(s.flights)
		s.order = s.order[:0]
	case event.HostEnd:
		return s.endHost(e)
	case event.HostConnect:
		if e.Result != event.OK {
			return s.endLine(e.Host, e.Result, 0, e.Error)
		}
	case event.Note:
		return s.st.Dim.Render("· " + e.Text)
	}
	return ""
}

func (s *boardState) stageStart(e event.Event) string {
	s.stage, s.batch, s.batches, s.undo = e.Stage, 0, 0, false
	s.inStage = len(e.Hosts)
	clear(s.counts)
	clear(s.flights)
	s.order = s.order[:0]
	return s.st.Head.Render(fmt.Sprintf("▸ stage %s", e.Stage)) + s.st.Dim.Render(" · "+plural(len(e.Hosts), "host"))
}

func (s *boardState) startHost(e event.Event) {
	if _, ok := s.flights[e.Host]; ok {
		return
	}
	s.flights[e.Host] = &flight{host: e.Host, start: e.Time}
	s.order = append(s.order, e.Host)
}

func (s *boardState) startStep(e event.Event) {
	f := s.flights[e.Host]
	if f == nil {
		s.startHost(e)
		f = s.flights[e.Host]
	}
	f.step, f.stepIndex, f.last = e.Step, e.StepIndex, ""
}

// output is a line above the board (with Verbose) and, in the host's
// flight line, what it last printed.
func (s *boardState) output(e event.Event, raw string) string {
	line := expandTabs(e.Line)
	if f := s.flights[e.Host]; f != nil {
		if last := lastState(raw); strings.TrimSpace(last) != "" {
			f.last = last
		}
	}
	if !s.verbose {
		return ""
	}
	p, ok := s.prefixes[e.Host]
	if !ok {
		p = s.st.Host.Render(fmt.Sprintf("%-*s", s.hostW, e.Host)) + s.st.Dim.Render(" │ ")
		s.prefixes[e.Host] = p
	}
	return p + line
}

// land takes a host off the board.
func (s *boardState) land(host string) {
	delete(s.flights, host)
	for i, h := range s.order {
		if h == host {
			s.order = append(s.order[:i], s.order[i+1:]...)
			return
		}
	}
}

// endUndoStep is the line of an undo step: undo steps have no host.end, so
// each step takes the host off the board until its next step starts.
func (s *boardState) endUndoStep(e event.Event) string {
	s.land(e.Host)
	line := s.st.Warn.Render("↺") + " " + s.st.Host.Render(fmt.Sprintf("%-*s", s.hostW, e.Host)) +
		"  " + s.st.Dim.Render("undo") + " " + e.Step + "  " + Duration(e.Duration)
	if e.Result != event.OK {
		line += "  " + resultStyle(s.st, e.Result).Render(string(e.Result))
		if e.Error != "" {
			line += s.st.Dim.Render(": ") + expandTabs(e.Error)
		}
	}
	return line
}

func (s *boardState) endHost(e event.Event) string {
	s.land(e.Host)
	s.counts[e.Result]++
	why := e.Error
	if step, ok := s.stepErr[e.Host]; ok {
		delete(s.stepErr, e.Host)
		if why == "" {
			why = step
		}
	}
	if why == "" && e.Result != event.OK {
		why = e.Text
	}
	return s.endLine(e.Host, e.Result, e.Duration, why)
}

// endLine is a finished host's line: mark, host, stage, time, reason.
func (s *boardState) endLine(host string, r event.Result, d time.Duration, why string) string {
	mark := resultMark(s.st, r)
	var b strings.Builder
	b.WriteString(mark + " " + s.st.Host.Render(fmt.Sprintf("%-*s", s.hostW, host)))
	if s.stage != "" {
		b.WriteString("  " + s.st.Dim.Render(s.stage))
	}
	if d > 0 {
		b.WriteString("  " + Duration(d))
	}
	if r != event.OK {
		b.WriteString("  " + resultStyle(s.st, r).Render(string(r)))
	}
	if why != "" {
		b.WriteString(s.st.Dim.Render(": ") + expandTabs(why))
	}
	return b.String()
}

// resultMark is the one-cell sign of a result, styled: ✓ ✗ – !.
func resultMark(st *Style, r event.Result) string {
	switch r {
	case event.OK:
		return st.OK.Render(markOf(r))
	case event.Skipped:
		return st.Dim.Render(markOf(r))
	case event.Aborted, event.Interrupted:
		return st.Warn.Render(markOf(r))
	}
	return st.Fail.Render(markOf(r))
}

// markOf is the one-cell sign of a result: ✓ ✗ – !.
func markOf(r event.Result) string {
	switch r {
	case event.OK:
		return "✓"
	case event.Skipped:
		return "–"
	case event.Aborted, event.Interrupted:
		return "!"
	}
	return "✗"
}

// header is the board's first line: runbook, stage, batch, counts, elapsed.
func (s *boardState) header(now time.Time) string {
	sep := s.st.Border.Render(" │ ")
	parts := []string{s.st.Emph.Render(dash(s.runbook))}
	if s.stage != "" {
		what := "stage "
		if s.undo {
			what = "undo "
		}
		parts = append(parts, what+s.st.Head.Render(s.stage))
	}
	if s.batches > 1 {
		parts = append(parts, fmt.Sprintf("batch %d/%d", s.batch, s.batches))
	}
	parts = append(parts, s.countsText())
	if !s.start.IsZero() {
		parts = append(parts, s.st.Dim.Render(Duration(now.Sub(s.start).Truncate(100*time.Millisecond))))
	}
	return strings.Join(parts, sep)
}

func (s *boardState) countsText() string {
	if s.undo {
		return fmt.Sprintf("%s · %s", plural(s.inStage, "host"), s.st.Bar.Render(fmt.Sprintf("%d running", len(s.order))))
	}
	failed := s.counts[event.Failed] + s.counts[event.Unreachable]
	stopped := s.counts[event.Aborted] + s.counts[event.Interrupted]
	running := len(s.order)
	done := failed + stopped + s.counts[event.OK] + s.counts[event.Skipped]
	waiting := max(0, s.inStage-done-running)
	fails := s.st.Dim
	if failed > 0 {
		fails = s.st.Fail
	}
	parts := []string{
		s.st.OK.Render(fmt.Sprintf("%d ok", s.counts[event.OK])),
		fails.Render(fmt.Sprintf("%d failed", failed)),
		s.st.Bar.Render(fmt.Sprintf("%d running", running)),
		fmt.Sprintf("%d waiting", waiting),
		s.st.Dim.Render(fmt.Sprintf("%d skipped", s.counts[event.Skipped])),
	}
	if stopped > 0 {
		parts = append(parts, s.st.Warn.Render(fmt.Sprintf("%d stopped", stopped)))
	}
	return strings.Join(parts, " · ")
}

// spinner frames for hosts in flight.
var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// frame is the whole board: the header, then one line per host in flight
// (at most rows of them), every line cut to width cells.
func (s *boardState) frame(now time.Time, tick, width, rows int) []string {
	lines := []string{s.header(now)}
	shown := s.order
	if len(shown) > rows {
		shown = shown[:max(0, rows-1)]
	}
	spin := s.st.Bar.Render(spinner[tick%len(spinner)])
	for _, h := range shown {
		lines = append(lines, s.flightLine(s.flights[h], now, spin))
	}
	if more := len(s.order) - len(shown); more > 0 {
		lines = append(lines, s.st.Dim.Render(fmt.Sprintf("  … and %d more running", more)))
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, max(1, width-1), "…")
	}
	return lines
}

func (s *boardState) flightLine(f *flight, now time.Time, spin string) string {
	step := f.step
	if step == "" {
		step = "connecting"
	}
	num := "   "
	if f.stepIndex > 0 {
		num = fmt.Sprintf("#%-2d", f.stepIndex)
	}
	line := fmt.Sprintf("  %s %s  %s %-18s %6s", spin, s.st.Host.Render(fmt.Sprintf("%-*s", s.hostW, f.host)),
		s.st.Dim.Render(num), ansi.Truncate(step, 18, "…"), Duration(now.Sub(f.start).Truncate(100*time.Millisecond)))
	if f.last != "" {
		line += s.st.Dim.Render("  " + f.last)
	}
	return line
}

// lastState is what a terminal would end up showing of a progress line
// redrawn with carriage returns (its part after the last one), sanitized,
// for the one-line tail of a host in flight. Lines above the board show
// every byte instead.
func lastState(raw string) string {
	if i := strings.LastIndexByte(strings.TrimRight(raw, "\r"), '\r'); i >= 0 {
		raw = raw[i+1:]
	}
	return expandTabs(Sanitize(strings.TrimRight(raw, "\r")))
}
