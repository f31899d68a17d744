package ui

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
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
