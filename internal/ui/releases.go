package ui

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/release"
)

// ReleaseRow is one host in the releases table.
type ReleaseRow struct {
	Host      string
	Current   string
	Previous  string
	Available []string
	Bad       []string
	Lock      string
	Drift     bool   // current differs from the majority
	Error     string // the host could not be read
	Before    string // switchrel: the release before the switch, when known
}

// Releases writes the releases table; drifted hosts are highlighted and
// marked with "!" so the mark survives without colour.
func Releases(w io.Writer, st *Style, rows []ReleaseRow) {
	withBefore := false
	for _, r := range rows {
		withBefore = withBefore || r.Before != ""
	}
	headers := []string{"HOST", "CURRENT", "PREVIOUS", "AVAILABLE", "BAD"}
	if withBefore {
		headers = []string{"HOST", "BEFORE", "NOW", "PREVIOUS", "AVAILABLE", "BAD"}
	}
	t := table.New().Border(st.TableBorder()).BorderStyle(st.Border).Headers(headers...).
		StyleFunc(func(row, col int) lipgloss.Style {
			s := st.r.NewStyle().Padding(0, 1)
			switch {
			case row == table.HeaderRow:
				return s.Inherit(st.Head)
			case row >= 0 && row < len(rows) && rows[row].Error != "":
				return s.Inherit(st.Fail)
			case row >= 0 && row < len(rows) && rows[row].Drift:
				return s.Inherit(st.Warn)
			}
			return s
		})
	drift := 0
	for _, r := range rows {
		t.Row(cells(releaseCells(r, withBefore))...)
		if r.Drift {
			drift++
		}
	}
	fmt.Fprintln(w, fit(st, t))
	if drift > 0 {
		fmt.Fprintln(w, st.Warn.Render(fmt.Sprintf("! %d host(s) drift from the release most hosts run", drift)))
	}
	for _, r := range rows {
		if r.Lock != "" {
			fmt.Fprintf(w, "%s locked: %s\n", Sanitize(r.Host), Sanitize(r.Lock))
		}
	}
}

func releaseCells(r ReleaseRow, withBefore bool) []string {
	host := r.Host
	if r.Drift {
		host += " !"
	}
	if r.Error != "" {
		cells := []string{host, "error: " + r.Error, "", "", ""}
		if withBefore {
			cells = append(cells, "")
		}
		return cells
	}
	cells := []string{host, dash(r.Current), dash(r.Previous), dash(strings.Join(r.Available, " ")), dash(strings.Join(r.Bad, " "))}
	if withBefore {
		cells = append([]string{host, dash(r.Before)}, cells[1:]...)
	}
	return cells
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ReleaseRows builds the table rows in host order, marking drift.
// A lock held by ownRun (the run asking) is not shown.
func ReleaseRows(hosts []inventory.Host, states map[string]release.State, errs map[string]error, problems []engine.HostProblem, ownRun string) []ReleaseRow {
	majority := release.Majority(states)
	unreachable := map[string]string{}
	for _, p := range problems {
		unreachable[p.Host] = p.Err.Error()
	}
	rows := make([]ReleaseRow, 0, len(hosts))
	for _, h := range hosts {
		row := ReleaseRow{Host: h.Name}
		switch {
		case unreachable[h.Name] != "":
			row.Error = unreachable[h.Name]
		case errs[h.Name] != nil:
			row.Error = errs[h.Name].Error()
		default:
			s := states[h.Name]
			row.Current, row.Previous, row.Available, row.Bad = s.Current, s.Previous, s.Available, s.Bad
			row.Drift = len(states) > 1 && s.Current != majority
			if s.Lock != nil && (ownRun == "" || s.Lock.RunID != ownRun) {
				row.Lock = s.Lock.Owner.String()
			}
		}
		rows = append(rows, row)
	}
	return rows
}
