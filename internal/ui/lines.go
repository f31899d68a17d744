package ui

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

// Lines renders events as stable, greppable lines, one per step result, with
// host-prefixed output lines when Verbose; what hosts printed is sanitized.
// It is an event.Sink, safe for concurrent use.
type Lines struct {
	mu      sync.Mutex
	w       io.Writer
	st      *Style
	verbose bool
	width   int             // host column width
	stepErr map[string]bool // hosts whose failure a step line already showed
}

var _ event.Sink = (*Lines)(nil)

// NewLines returns a line renderer writing to w; hosts sets the width of the
// host column.
func NewLines(w io.Writer, st *Style, verbose bool, hosts []string) *Lines {
	width := 4
	for _, h := range hosts {
		width = max(width, len(h))
	}
	return &Lines{w: w, st: st, verbose: verbose, width: width, stepErr: map[string]bool{}}
}

// Emit implements event.Sink.
func (l *Lines) Emit(e event.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	line := l.render(sanitizeEvent(e))
	if line == "" {
		return nil
	}
	_, err := fmt.Fprintln(l.w, line)
	return err
}

func (l *Lines) render(e event.Event) string {
	switch e.Kind {
	case event.StageStart:
		return l.st.Head.Render(fmt.Sprintf("== stage %s: %s", e.Stage, plural(len(e.Hosts), "host")))
	case event.BatchStart:
		if e.Batches <= 1 {
			return ""
		}
		return l.st.Dim.Render(fmt.Sprintf("-- batch %d/%d: %s", e.Batch, e.Batches, strings.Join(e.Hosts, " ")))
	case event.UndoStart:
		return l.st.Warn.Render(fmt.Sprintf("== undo %s: %s", e.Stage, strings.Join(e.Hosts, " ")))
	case event.StepOutput:
		if !l.verbose {
			return ""
		}
		return l.host(e.Host) + l.st.Dim.Render(" | ") + e.Line
	case event.StepEnd:
		if e.Result != event.OK && e.Result != event.Skipped {
			l.stepErr[e.Host] = true
		}
		return l.stepEnd(e)
	case event.HostEnd:
		shown := l.stepErr[e.Host]
		delete(l.stepErr, e.Host)
		if e.Result == event.OK || shown {
			return ""
		}
		return l.host(e.Host) + "   " + l.result(e.Result) + " " + firstOf(e.Error, e.Text)
	case event.GateAnswer:
		return l.st.Prompt.Render(fmt.Sprintf("?? gate %s: %s", gateWhat(e), e.Answer))
	case event.HostConnect:
		if e.Result == event.OK {
			return ""
		}
		return l.host(e.Host) + "   " + l.result(e.Result) + " " + e.Error
	case event.Note:
		return l.st.Dim.Render("-- " + e.Text)
	}
	return ""
}

func (l *Lines) stepEnd(e event.Event) string {
	var b strings.Builder
	b.WriteString(l.host(e.Host))
	b.WriteString("   ")
	b.WriteString(l.result(e.Result))
	b.WriteString(" ")
	if e.Undo {
		b.WriteString("undo: ")
	}
	b.WriteString(e.Step)
	if e.Error != "" {
		b.WriteString(": " + e.Error)
	}
	b.WriteString(l.st.Dim.Render(" (" + Duration(e.Duration) + ")"))
	return b.String()
}

func (l *Lines) host(name string) string {
	return l.st.Host.Render(fmt.Sprintf("%-*s", l.width, name))
}

func (l *Lines) result(r event.Result) string {
	text := fmt.Sprintf("%-7s", r)
	switch r {
	case event.OK:
		return l.st.OK.Render(text)
	case event.Skipped:
		return l.st.Dim.Render(text)
	default:
		return l.st.Fail.Render(text)
	}
}

// gateWhat names what a gate answer was about.
func gateWhat(e event.Event) string {
	switch {
	case e.Host != "":
		return fmt.Sprintf("%s on %s", e.Stage, e.Host)
	case e.Batch > 0 && e.Batches > 0:
		return fmt.Sprintf("%s batch %d/%d", e.Stage, e.Batch, e.Batches)
	case e.Batch > 0:
		return fmt.Sprintf("%s batch %d", e.Stage, e.Batch)
	}
	return e.Stage
}

// firstOf returns the first of its arguments that is not empty.
func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Duration formats d for people: 850ms, 3.2s, 2m05s, 1h02m.
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
