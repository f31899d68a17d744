package ui

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
)

// SummaryRow is one host's line in the summary table.
type SummaryRow struct {
	Host     string
	Stage    string
	Result   event.Result
	Duration time.Duration
	Note     string
}

// SummaryRows turns the engine's summary into the table's rows.
func SummaryRows(sum *engine.Summary) []SummaryRow {
	rows := make([]SummaryRow, len(sum.Hosts))
	for i, h := range sum.Hosts {
		rows[i] = SummaryRow{Host: h.Host, Stage: h.Stage, Result: h.Result, Duration: h.Duration, Note: h.Note}
	}
	return rows
}

// rank orders results in the summary: failures first.
func rank(r event.Result) int {
	switch r {
	case event.Failed, event.Unreachable:
		return 0
	case event.Interrupted, event.Aborted:
		return 1
	case event.Skipped:
		return 2
	}
	return 3
}

// Summary writes the table of every host, failures first, then the counts.
// On a terminal the table fits its width (long notes wrap); plain output
// keeps every note whole.
func Summary(w io.Writer, st *Style, rows []SummaryRow) {
	rows = append([]SummaryRow(nil), rows...)
	sort.SliceStable(rows, func(i, j int) bool { return rank(rows[i].Result) < rank(rows[j].Result) })
	t := newTable(st, []string{"HOST", "STAGE", "RESULT", "TIME", "NOTE"}, func(row, col int, s lipgloss.Style) lipgloss.Style {
		if col == 2 && row >= 0 && row < len(rows) {
			return s.Inherit(resultStyle(st, rows[row].Result))
		}
		return s
	})
	for _, r := range rows {
		took := "-"
		if r.Duration > 0 {
			took = Duration(r.Duration)
		}
		t.Row(cell(r.Host), dash(cell(r.Stage)), markOf(r.Result)+" "+cell(string(r.Result)), took, cell(r.Note))
	}
	fmt.Fprintln(w, fit(st, t))
	fmt.Fprintln(w, Counts(st, rows))
}

func resultStyle(st *Style, r event.Result) lipgloss.Style {
	switch r {
	case event.OK:
		return st.OK
	case event.Skipped:
		return st.Dim
	case event.Aborted, event.Interrupted:
		return st.Warn
	}
	return st.Fail
}

// Counts is the one-line tally: "5 ok, 1 failed, 1 skipped".
func Counts(st *Style, rows []SummaryRow) string {
	order := []event.Result{event.OK, event.Failed, event.Unreachable, event.Skipped, event.Aborted, event.Interrupted}
	n := map[event.Result]int{}
	for _, r := range rows {
		n[r.Result]++
	}
	var out string
	for _, res := range order {
		if n[res] == 0 {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += resultStyle(st, res).Render(fmt.Sprintf("%d %s", n[res], res))
	}
	return out
}
