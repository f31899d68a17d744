// Package ui renders what drover does for a person: exec output folded by
// host, plain event lines, the live board, gates asked on the terminal and
// the summary table, and it asks the questions a run needs answered on
// the terminal. It is the only package that imports lipgloss.
//
// It renders events and results it is given; it runs nothing on hosts and
// decides nothing about a run.
package ui

import (
	"io"
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/term"
)

// Style is the set of styles of one output, with or without colour.
type Style struct {
	r     *lipgloss.Renderer
	Color bool
	// ASCII draws tables with + - | instead of box-drawing characters: for
	// plain output that is not a terminal (a pipe, a file), which tools and
	// tickets read.
	ASCII bool
	// Width is the terminal's width in cells; 0 when it is not known or the
	// output is plain, and then tables keep every cell whole.
	Width  int
	Head   lipgloss.Style // block and table headers
	Host   lipgloss.Style // host names and ranges
	OK     lipgloss.Style
	Fail   lipgloss.Style
	Warn   lipgloss.Style
	Dim    lipgloss.Style
	Bar    lipgloss.Style
	Border lipgloss.Style
	Prompt lipgloss.Style
	Emph   lipgloss.Style
}

// NewStyle returns the styles for w; color false gives plain text with no
// escape byte at all.
func NewStyle(w io.Writer, color bool) *Style {
	r := lipgloss.NewRenderer(w)
	if color {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	s := &Style{r: r, Color: color, ASCII: !color && !IsTerminal(w)}
	if color {
		s.Width = terminalWidth(w)
	}
	s.Head = r.NewStyle().Bold(true)
	s.Host = r.NewStyle().Foreground(lipgloss.Color("39")).Bold(true)
	s.OK = r.NewStyle().Foreground(lipgloss.Color("42"))
	s.Fail = r.NewStyle().Foreground(lipgloss.Color("196")).Bold(true)
	s.Warn = r.NewStyle().Foreground(lipgloss.Color("214"))
	s.Dim = r.NewStyle().Foreground(lipgloss.Color("245"))
	s.Bar = r.NewStyle().Foreground(lipgloss.Color("39"))
	s.Border = r.NewStyle().Foreground(lipgloss.Color("240"))
	s.Prompt = r.NewStyle().Foreground(lipgloss.Color("214")).Bold(true)
	s.Emph = r.NewStyle().Bold(true)
	return s
}

// Renderer is the lipgloss renderer behind the styles.
func (s *Style) Renderer() *lipgloss.Renderer { return s.r }

// asciiBorder is a table border of plain ASCII.
var asciiBorder = lipgloss.Border{
	Top: "-", Bottom: "-", Left: "|", Right: "|",
	TopLeft: "+", TopRight: "+", BottomLeft: "+", BottomRight: "+",
	MiddleLeft: "+", MiddleRight: "+", Middle: "+", MiddleTop: "+", MiddleBottom: "+",
}

// TableBorder is the border of drover's tables: rounded box drawing, or
// ASCII for plain output that is not a terminal.
func (s *Style) TableBorder() lipgloss.Border {
	if s.ASCII {
		return asciiBorder
	}
	return lipgloss.RoundedBorder()
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is w's width when w is a terminal, else 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}
