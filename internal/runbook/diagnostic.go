package runbook

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Diagnostic is one problem found in a runbook or inventory file.
type Diagnostic struct {
	File      string
	Line, Col int // 1-based; 0 when the problem has no place in the file (a --set value)
	Msg       string
}

// String formats the diagnostic as "FILE:LINE:COL: message".
func (d Diagnostic) String() string {
	switch {
	case d.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Msg)
	case d.File != "":
		return d.File + ": " + d.Msg
	default:
		return d.Msg
	}
}

// Diagnostics is every problem found in one or more files, sorted by file,
// line and column. It is the error returned by Parse, Plan and
// ParseInventory when a file is wrong.
type Diagnostics []Diagnostic

// Error returns one diagnostic per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// sorted returns ds sorted and without repeats, or nil when it is empty.
func (ds Diagnostics) sorted() error {
	if len(ds) == 0 {
		return nil
	}
	out := slices.Clone(ds)
	slices.SortFunc(out, CompareDiagnostics)
	return slices.Compact(out)
}

// CompareDiagnostics orders diagnostics by file, line, column and message,
// as they are printed.
func CompareDiagnostics(a, b Diagnostic) int {
	return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Col, b.Col), cmp.Compare(a.Msg, b.Msg))
}
