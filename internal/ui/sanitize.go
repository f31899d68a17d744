package ui

import (
	"io"
	"strings"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/ui/safetext"
)

// Everything a host sends reaches the terminal only through Sanitize (or
// SanitizeText for whole outputs): its escape sequences, carriage returns
// and other controls are shown as visible text (\x1b]52;c;…), never acted
// on. Each renderer of this package sanitizes what it is given, so a caller
// hands it host bytes as they came; transcripts (--log-dir) keep the raw
// bytes.

// Sanitize returns s as one line safe to print on a terminal (see
// safetext.Line).
func Sanitize(s string) string { return safetext.Line(s) }

// SanitizeText is Sanitize for text of several lines: line feeds are kept
// (see safetext.Text).
func SanitizeText(s string) string { return safetext.Text(s) }

// SafeJSON returns a writer for JSON output that may reach a terminal: it
// escapes what encoding/json leaves raw (DEL, C1 controls, bidirectional
// characters) without changing the decoded values.
func SafeJSON(w io.Writer) io.Writer { return safetext.JSONWriter(w) }

// sanitizeEvent returns e with every text field made safe to print.
func sanitizeEvent(e event.Event) event.Event {
	e.Runbook, e.Stage, e.Host, e.Step = Sanitize(e.Runbook), Sanitize(e.Stage), Sanitize(e.Host), Sanitize(e.Step)
	e.Line, e.Text, e.Answer, e.Error = Sanitize(e.Line), Sanitize(e.Text), Sanitize(e.Answer), Sanitize(e.Error)
	e.User = Sanitize(e.User)
	e.Hosts = sanitizeAll(e.Hosts)
	return e
}

// sanitizeQuestion returns q with every text field made safe to print.
func sanitizeQuestion(q engine.Question) engine.Question {
	q.Stage, q.Host, q.Text, q.Err = Sanitize(q.Stage), Sanitize(q.Host), Sanitize(q.Text), Sanitize(q.Err)
	q.Hosts, q.Tail = sanitizeAll(q.Hosts), sanitizeAll(q.Tail)
	return q
}

// sanitizeAll sanitizes each of list, copying it only when one changes.
func sanitizeAll(list []string) []string {
	var out []string
	for i, s := range list {
		c := Sanitize(s)
		if c != s && out == nil {
			out = append(make([]string, 0, len(list)), list[:i]...)
		}
		if out != nil {
			out = append(out, c)
		}
	}
	if out == nil {
		return list
	}
	return out
}

// expandTabs turns each tab of a sanitized line into spaces, for the
// board, whose lines are measured and cut in cells.
func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	return strings.ReplaceAll(s, "\t", "    ")
}

// cell is text for a table cell: sanitized, tabs as spaces (tables
// measure their cells).
func cell(s string) string { return expandTabs(Sanitize(s)) }

// cells is cell of each of list.
func cells(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = cell(s)
	}
	return out
}
