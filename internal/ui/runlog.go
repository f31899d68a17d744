package ui

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/journal"
)

// RunRows are the rows of drover log's list of runs.
func RunRows(runs []*journal.Run) []RunRow {
	rows := make([]RunRow, len(runs))
	for i, r := range runs {
		rows[i] = RunRow{ID: r.ID, Runbook: r.Runbook, User: r.User, Start: r.Start, End: r.End,
			Result: listResult(r), Hosts: len(r.Hosts), Counts: r.Counts}
	}
	return rows
}

func listResult(r *journal.Run) string {
	res := string(r.Result)
	if !r.Complete {
		res = "incomplete"
	}
	if r.Skipped > 0 {
		res += " (damaged)"
	}
	return res
}

// RunDetail writes one run of the journal: who ran what and when, its
// params, the timeline of its stages, batches and gates (with every
// output line when verbose) and the summary table.
func RunDetail(w io.Writer, st *Style, run *journal.Run, verbose bool) {
	fmt.Fprintf(w, "run %s: runbook %s by %s, %s\n", run.ID, run.Runbook, run.User, run.Start.Local().Format("2006-01-02 15:04:05"))
	if len(run.Params) > 0 {
		var ps []string
		for _, k := range slices.Sorted(maps.Keys(run.Params)) {
			ps = append(ps, k+"="+run.Params[k])
		}
		fmt.Fprintf(w, "params: %s\n", strings.Join(ps, " "))
	}
	fmt.Fprintln(w)
	Timeline(w, st, run.Events, verbose)
	fmt.Fprintln(w)
	Summary(w, st, journalRows(run))
}

// journalRows are the summary rows of a run in the journal: the table the
// run showed at its end, or, for a run killed before it, one rebuilt from
// its host.end events.
func journalRows(run *journal.Run) []SummaryRow {
	if len(run.Summary) > 0 {
		rows := make([]SummaryRow, len(run.Summary))
		for i, e := range run.Summary {
			rows[i] = SummaryRow{Host: e.Host, Stage: e.Stage, Result: e.Result, Duration: e.Duration, Note: e.Text}
		}
		return rows
	}
	index := map[string]int{}
	var rows []SummaryRow
	for _, e := range run.Events {
		if e.Kind != event.HostEnd && !(e.Kind == event.HostConnect && e.Result != event.OK) {
			continue
		}
		note := e.Error
		if note == "" {
			note = e.Text // why a host was skipped or not started
		}
		row := SummaryRow{Host: e.Host, Stage: e.Stage, Result: e.Result, Duration: e.Duration, Note: note}
		if i, ok := index[e.Host]; ok {
			row.Duration += rows[i].Duration
			rows[i] = row
			continue
		}
		index[e.Host] = len(rows)
		rows = append(rows, row)
	}
	order := map[string]int{}
	for i, h := range run.Hosts {
		order[h] = i
	}
	slices.SortStableFunc(rows, func(a, b SummaryRow) int { return order[a.Host] - order[b.Host] })
	return rows
}
