package ui

import (
	"fmt"
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// ProblemRow is one host pre-flight could not use.
type ProblemRow struct {
	Host    string
	Problem string // "unknown host key", "host key changed", "unreachable"
	Detail  string
}

// Problems writes the pre-flight problems as one table.
func Problems(w io.Writer, st *Style, rows []ProblemRow) {
	if len(rows) == 0 {
		return
	}
	t := table.New().
		Border(st.TableBorder()).
		BorderStyle(st.Border).
		Headers("HOST", "PROBLEM", "DETAIL").
		StyleFunc(func(row, col int) lipgloss.Style {
			s := st.r.NewStyle().Padding(0, 1)
			switch {
			case row == table.HeaderRow:
				return s.Inherit(st.Head)
			case col == 1:
				return s.Inherit(st.Fail)
			}
			return s
		})
	for _, r := range rows {
		t.Row(cell(r.Host), cell(r.Problem), cell(r.Detail))
	}
	fmt.Fprintln(w, st.Fail.Render(fmt.Sprintf("pre-flight: %d host(s) not usable", len(rows))))
	fmt.Fprintln(w, fit(st, t))
}
