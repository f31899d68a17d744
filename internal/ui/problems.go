package ui

import (
	"errors"
	"fmt"
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/transport"
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

// ProblemRows describes pre-flight problems for the table.
func ProblemRows(problems []engine.HostProblem) []ProblemRow {
	rows := make([]ProblemRow, 0, len(problems))
	for _, pr := range problems {
		row := ProblemRow{Host: pr.Host, Problem: "unreachable", Detail: pr.Err.Error()}
		var k *transport.HostKeyError
		switch {
		case errors.As(pr.Err, &k) && k.Problem == transport.HostKeyChanged:
			row.Problem = "host key changed"
		case errors.As(pr.Err, &k) && k.Problem == transport.HostKeyRevoked:
			row.Problem = "host key revoked"
		case errors.As(pr.Err, &k):
			row.Problem = "unknown host key"
			row.Detail = k.KeyType + " " + k.Fingerprint
		case errors.Is(pr.Err, transport.ErrLost):
			row.Problem = "connection lost"
		}
		rows = append(rows, row)
	}
	return rows
}
