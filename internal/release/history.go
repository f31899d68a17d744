package release

import (
	"slices"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/ui/safetext"
)

// Kind says what a history line records.
type Kind string

const (
	KindSwitch Kind = "switch" // current moved From -> To
	KindBad    Kind = "bad"    // Release was rolled back from
	KindUnlock Kind = "unlock" // a lock was removed by force; Owner was its owner line
	// KindUndone says the switch From -> To recorded just before by the
	// same run did not happen (current could not be moved). Reading the
	// history drops that switch, its bad line and the undone line itself.
	KindUndone Kind = "undone"
)

// Entry is one line of {root}/.drover/history.
type Entry struct {
	Time    time.Time
	RunID   string
	User    string
	Kind    Kind
	From    string // KindSwitch: the release before; "" when there was none
	To      string // KindSwitch: the release after
	Release string // KindBad: the release marked bad
	Owner   string // KindUnlock: the owner line of the removed lock
}

// timeLayout is how times are written in history and owner lines.
const timeLayout = "2006-01-02T15:04:05Z"

// parseHistory reads history lines, oldest first. Lines it cannot parse are
// skipped: the file is an audit trail and one damaged line must not hide
// the rest. Text fields a host wrote are sanitized for the terminal.
func parseHistory(text string) []Entry {
	var entries []Entry
	for line := range strings.Lines(text) {
		e, ok := parseEntry(safetext.Line(strings.TrimRight(line, "\r\n")))
		switch {
		case !ok:
		case e.Kind == KindUndone:
			entries = dropUndone(entries, e)
		default:
			entries = append(entries, e)
		}
	}
	return entries
}

// dropUndone removes the switch that u says did not happen (the newest
// switch From -> To of u's run) and the bad line written with it.
func dropUndone(entries []Entry, u Entry) []Entry {
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Kind != KindSwitch || e.RunID != u.RunID || e.From != u.From || e.To != u.To {
			continue
		}
		end := i + 1
		if end < len(entries) && entries[end].Kind == KindBad && entries[end].RunID == u.RunID &&
			entries[end].Release == u.From {
			end++
		}
		return slices.Delete(entries, i, end)
	}
	return entries
}

func parseEntry(line string) (Entry, bool) {
	f := strings.Split(line, "\t")
	if len(f) < 5 {
		return Entry{}, false
	}
	t, err := time.Parse(timeLayout, f[0])
	if err != nil {
		return Entry{}, false
	}
	e := Entry{Time: t, RunID: field(f[1]), User: field(f[2]), Kind: Kind(f[3])}
	switch {
	case (e.Kind == KindSwitch || e.Kind == KindUndone) && len(f) == 6 && CheckID(f[5]) == nil:
		e.From, e.To = field(f[4]), f[5]
	case e.Kind == KindBad && len(f) == 5 && CheckID(f[4]) == nil:
		e.Release = f[4]
	case e.Kind == KindUnlock:
		e.Owner = field(strings.Join(f[4:], "\t"))
	default:
		return Entry{}, false
	}
	return e, true
}

// field reads one history field: "-" stands for empty.
func field(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// cleanField makes s safe to write as one field: no tabs or line breaks,
// "-" when empty.
func cleanField(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if s == "" {
		return "-"
	}
	return s
}

// badReleases returns the releases marked bad and not switched to since,
// in the order they were marked.
func badReleases(history []Entry) []string {
	var bad []string
	for _, e := range history {
		switch e.Kind {
		case KindBad:
			if !slices.Contains(bad, e.Release) {
				bad = append(bad, e.Release)
			}
		case KindSwitch:
			bad = slices.DeleteFunc(bad, func(id string) bool { return id == e.To })
		}
	}
	return bad
}

// previous walks the switches backwards and returns the first release the
// host switched away from that is neither current nor bad.
func previous(history []Entry, current string) string {
	bad := badReleases(history)
	for _, e := range slices.Backward(history) {
		if e.Kind != KindSwitch || e.From == "" || e.From == current {
			continue
		}
		if !slices.Contains(bad, e.From) {
			return e.From
		}
	}
	return ""
}
