package ui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
)

// newTable is a table in drover's look: rounded border, bold headers,
// padded cells; style adds to a body cell's style.
func newTable(st *Style, headers []string, style func(row, col int, s lipgloss.Style) lipgloss.Style) *table.Table {
	return table.New().
		Border(st.TableBorder()).
		BorderStyle(st.Border).
		Headers(headers...).
		StyleFunc(func(row, col int) lipgloss.Style {
			s := st.r.NewStyle().Padding(0, 1)
			if row == table.HeaderRow {
				return s.Inherit(st.Head)
			}
			if style != nil {
				return style(row, col, s)
			}
			return s
		})
}

// fit renders t within the terminal's width: a table wider than st.Width
// is rendered again at that width, its widest cells wrapped. Without a
// width (plain output) every cell is kept whole.
func fit(st *Style, t *table.Table) string {
	out := t.Render()
	if st.Width > 0 && lipgloss.Width(out) > st.Width {
		out = t.Width(st.Width).Render()
	}
	return out
}
