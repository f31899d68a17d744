// Package report writes a run as one self-contained HTML file: the run's
// header, a timeline picture (one row per host, one bar per step, batches
// and gates as markers, undo in its own colour), the summary table with
// failures first, and each host's steps with the tails of their output.
//
// It reads only events (as the journal keeps them) and needs no network
// when the file is opened: styles, data and the small drawing script are
// inside the file. Output lines are shown as text, with control characters
// made visible; secrets never reach it, since events carry none.
package report

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

// Limits that keep a report of 1,000 hosts × 10 steps under 5 MB: a host
// that ended well keeps the last line of each step, a failed one more.
const (
	tailLines   = 3   // output lines kept per step of a failed host
	okTailLines = 1   // of a host that ended ok or skipped
	lineChars   = 120 // characters kept per output line
)

// Run is the report's view of one run, built from its events by Build.
type Run struct {
	ID       string
	Runbook  string
	User     string
	Start    time.Time
	End      time.Time
	Code     int
	Complete bool
	Params   []Param
	Hosts    []Host   // inventory order
	Markers  []Marker // batch starts and gates, in time order
	Span     time.Duration
}

// Param is one run parameter (events never hold secrets).
type Param struct{ Name, Value string }

// Host is one host's row: its steps in order and how it ended.
type Host struct {
	Name   string
	Result event.Result
	Stage  string // the stage it ended in
	Note   string
	Steps  []Step
	Time   time.Duration
}

// Step is one bar of the timeline.
type Step struct {
	Stage  string
	Name   string
	Undo   bool
	Start  time.Duration // since the run started
	Length time.Duration
	Result event.Result
	Exit   *int
	Error  string
	Tail   []string
}

// Marker is a vertical line on the timeline.
type Marker struct {
	At    time.Duration
	Kind  string // "batch" or "gate"
	Label string
}

// Failed reports whether the host failed: a step failed or the host was
// lost. A host the run stopped before it started (aborted, interrupted) is
// not a failure of its own.
func (h Host) Failed() bool {
	return h.Result == event.Failed || h.Result == event.Unreachable
}

// Build assembles a Run from a run's events, in journal order.
func Build(id string, events []event.Event) Run {
	b := builder{run: Run{ID: id}, hosts: map[string]*Host{}, open: map[string]int{}}
	for _, e := range events {
		b.add(e)
	}
	return b.finish()
}

type builder struct {
	run   Run
	order []string
	hosts map[string]*Host
	open  map[string]int // by host, the index of its step in flight
}

func (b *builder) add(e event.Event) {
	if b.run.Start.IsZero() {
		b.run.Start = e.Time
	}
	at := e.Time.Sub(b.run.Start)
	switch e.Kind {
	case event.RunStart:
		b.runStart(e)
	case event.RunEnd:
		b.run.End, b.run.Code, b.run.Complete = e.Time, e.Code, true
	case event.BatchStart:
		b.run.Markers = append(b.run.Markers, Marker{At: at, Kind: "batch", Label: batchLabel(e)})
	case event.GateAsk:
		b.run.Markers = append(b.run.Markers, Marker{At: at, Kind: "gate", Label: "gate: " + visible(e.Text)})
	case event.StepStart:
		b.stepStart(e, at)
	case event.StepOutput:
		b.stepOutput(e)
	case event.StepEnd:
		b.stepEnd(e, at)
	case event.HostEnd, event.HostConnect:
		b.hostEnd(e)
	}
	b.run.Span = max(b.run.Span, at)
}

func (b *builder) runStart(e event.Event) {
	b.run.Start, b.run.Runbook, b.run.User = e.Time, e.Runbook, e.User
	b.run.Params = b.run.Params[:0]
	for _, k := range slices.Sorted(maps.Keys(e.Params)) {
		b.run.Params = append(b.run.Params, Param{k, e.Params[k]})
	}
	for _, h := range e.Hosts {
		b.host(h)
	}
}

func (b *builder) host(name string) *Host {
	h, ok := b.hosts[name]
	if !ok {
		h = &Host{Name: name}
		b.hosts[name] = h
		b.order = append(b.order, name)
	}
	return h
}

func (b *builder) stepStart(e event.Event, at time.Duration) {
	h := b.host(e.Host)
	h.Steps = append(h.Steps, Step{Stage: e.Stage, Name: e.Step, Undo: e.Undo, Start: at})
	b.open[e.Host] = len(h.Steps) - 1
}

// current is the host's step in flight, nil when none is.
func (b *builder) current(host string) *Step {
	i, ok := b.open[host]
	if !ok {
		return nil
	}
	return &b.hosts[host].Steps[i]
}

func (b *builder) stepOutput(e event.Event) {
	st := b.current(e.Host)
	if st == nil {
		return
	}
	line := visible(e.Line)
	if len(line) > lineChars {
		line = line[:lineChars] + "…"
	}
	st.Tail = append(st.Tail, line)
	if len(st.Tail) > tailLines {
		st.Tail = st.Tail[len(st.Tail)-tailLines:]
	}
}

func (b *builder) stepEnd(e event.Event, at time.Duration) {
	st := b.current(e.Host)
	if st == nil || st.Name != e.Step {
		b.stepStart(event.Event{Host: e.Host, Stage: e.Stage, Step: e.Step, Undo: e.Undo}, at-e.Duration)
		st = b.current(e.Host)
	}
	st.Length, st.Result, st.Exit, st.Error = max(at-st.Start, e.Duration), e.Result, e.Exit, visible(e.Error)
	delete(b.open, e.Host)
}

func (b *builder) hostEnd(e event.Event) {
	if e.Kind == event.HostConnect && e.Result == event.OK {
		return
	}
	h := b.host(e.Host)
	h.Result, h.Stage, h.Note = e.Result, e.Stage, visible(cmp.Or(e.Error, e.Text))
	h.Time += e.Duration
}

func (b *builder) finish() Run {
	for _, name := range b.order {
		h := *b.hosts[name]
		if !h.Failed() {
			for i, st := range h.Steps {
				h.Steps[i].Tail = st.Tail[max(0, len(st.Tail)-okTailLines):]
			}
		}
		b.run.Hosts = append(b.run.Hosts, h)
	}
	if !b.run.End.IsZero() {
		b.run.Span = max(b.run.Span, b.run.End.Sub(b.run.Start))
	}
	return b.run
}

func batchLabel(e event.Event) string {
	return e.Stage + ": batch " + strconv.Itoa(e.Batch) + "/" + strconv.Itoa(e.Batches)
}
