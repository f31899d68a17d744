package ui

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"

	"github.com/drover-sh/drover/internal/event"
)

// RunRow is one past run in `drover log`.
type RunRow struct {
	ID, Runbook, User string
	Start, End        time.Time
	Result            string
	Hosts             int
	Counts            map[event.Result]int
}

// Runs writes the list of past runs.
func Runs(w io.Writer, st *Style, rows []RunRow) {
	t := table.New().
		Border(st.TableBorder()).
		BorderStyle(st.Border).
		Headers("RUN", "RUNBOOK", "WHO", "STARTED", "TOOK", "RESULT", "HOSTS").
		StyleFunc(func(row, col int) lipgloss.Style {
			s := st.r.NewStyle().Padding(0, 1)
			if row == table.HeaderRow {
				return s.Inherit(st.Head)
			}
			if col == 5 && row >= 0 && row < len(rows) {
				return s.Inherit(resultStyle(st, event.Result(rows[row].Result)))
			}
			return s
		})
	for _, r := range rows {
		took := "-"
		if !r.End.IsZero() {
			took = Duration(r.End.Sub(r.Start))
		}
		t.Row(cells([]string{r.ID, r.Runbook, r.User, r.Start.Local().Format("2006-01-02 15:04"), took, r.Result, hostCounts(r)})...)
	}
	fmt.Fprintln(w, fit(st, t))
}

func hostCounts(r RunRow) string {
	var parts []string
	for _, res := range []event.Result{event.OK, event.Failed, event.Unreachable, event.Skipped, event.Aborted, event.Interrupted} {
		if n := r.Counts[res]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, res))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d", r.Hosts)
	}
	return strings.Join(parts, ", ")
}

// Timeline writes the stages, batches, gates, host results and undo steps
// of a finished run in order, with their times; verbose adds every step and
// every output line.
func Timeline(w io.Writer, st *Style, events []event.Event, verbose bool) {
	if len(events) == 0 {
		return
	}
	t0 := events[0].Time
	lines := NewLines(io.Discard, st, verbose, runHosts(events))
	for _, e := range events {
		text := timelineLine(lines, sanitizeEvent(e))
		if text == "" {
			continue
		}
		fmt.Fprintf(w, "%s %s\n", st.Dim.Render(fmt.Sprintf("+%8s", Duration(e.Time.Sub(t0)))), text)
	}
}

// timelineLine is e's line in a timeline, or "" when it has none.
func timelineLine(l *Lines, e event.Event) string {
	st := l.st
	switch e.Kind {
	case event.RunStart:
		return st.Head.Render(fmt.Sprintf("run %s by %s: %s", e.Runbook, dash(e.User), plural(len(e.Hosts), "host")))
	case event.RunEnd:
		return resultStyle(st, e.Result).Render(fmt.Sprintf("run %s (exit %d)", e.Result, e.Code))
	case event.HostEnd:
		if e.Result == event.OK {
			return l.host(e.Host) + "   " + l.result(e.Result) + " " + e.Stage + st.Dim.Render(" ("+Duration(e.Duration)+")")
		}
	case event.StepEnd:
		if e.Result == event.OK && !e.Undo && !l.verbose {
			return ""
		}
	}
	return l.render(e)
}

// runHosts are the hosts a run's run.start names.
func runHosts(events []event.Event) []string {
	for _, e := range events {
		if e.Kind == event.RunStart {
			return e.Hosts
		}
	}
	return nil
}
