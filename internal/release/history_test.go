package release

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// hist builds history text from short lines: "A>B" is a switch from A to B
// ("-" for none), "!C" marks C bad, "u" is a force unlock.
func hist(steps ...string) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString("2026-11-22T10:00:00Z\trun1\talice\t")
		switch {
		case strings.HasPrefix(s, "!"):
			b.WriteString("bad\t" + s[1:])
		case s == "u":
			b.WriteString("unlock\t2026-11-21T09:00:00Z\trun0\tbob\tcutover\t-")
		default:
			from, to, _ := strings.Cut(s, ">")
			b.WriteString("switch\t" + from + "\t" + to)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestPrevious(t *testing.T) {
	tests := []struct {
		name    string
		history string
		current string
		want    string
		wantBad []string
	}{
		{name: "no history", current: "A"},
		{name: "first switch only", history: hist("->A"), current: "A"},
		{name: "one switch", history: hist("->A", "A>B"), current: "B", want: "A"},
		{name: "two switches", history: hist("->A", "A>B", "B>C"), current: "C", want: "B"},
		{name: "after rollback skips bad",
			history: hist("->A", "A>B", "B>C", "C>B", "!C"), current: "B", want: "A", wantBad: []string{"C"}},
		{name: "second rollback walks further back",
			history: hist("A>B", "B>C", "C>D", "D>C", "!D", "C>B", "!C"), current: "B", want: "A",
			wantBad: []string{"D", "C"}},
		{name: "new release after rollback",
			history: hist("A>B", "B>C", "C>B", "!C", "B>E"), current: "E", want: "B", wantBad: []string{"C"}},
		{name: "rollback after rollback and new release",
			history: hist("A>B", "B>C", "C>B", "!C", "B>E", "E>B", "!E"), current: "B", want: "A",
			wantBad: []string{"C", "E"}},
		{name: "switching to a bad release clears its mark",
			history: hist("A>B", "B>C", "C>B", "!C", "B>C", "C>D"), current: "D", want: "C"},
		{name: "manual switch back is not a rollback",
			history: hist("A>B", "B>A"), current: "A", want: "B"},
		{name: "everything older is bad",
			history: hist("A>B", "!A"), current: "B", wantBad: []string{"A"}},
		{name: "unlock lines are ignored",
			history: hist("A>B", "u", "B>C"), current: "C", want: "B"},
		{name: "damaged lines are skipped",
			history: hist("A>B") + "garbage\n\t\t\n2026-13-40T00:00:00Z\tr\tu\tswitch\tB\tX\n" + hist("B>C"),
			current: "C", want: "B"},
		{name: "current moved outside drover",
			history: hist("A>B", "B>C"), current: "A", want: "B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := parseHistory(tt.history)
			if got := previous(entries, tt.current); got != tt.want {
				t.Errorf("previous = %q, want %q", got, tt.want)
			}
			if got := badReleases(entries); !slices.Equal(got, tt.wantBad) {
				t.Errorf("bad = %q, want %q", got, tt.wantBad)
			}
		})
	}
}

func TestParseEntry(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		line string
		want Entry
		ok   bool
	}{
		{name: "switch", line: "2026-11-22T10:00:00Z\tr1\talice\tswitch\tA\tB", ok: true,
			want: Entry{Time: at, RunID: "r1", User: "alice", Kind: KindSwitch, From: "A", To: "B"}},
		{name: "first switch", line: "2026-11-22T10:00:00Z\t-\t-\tswitch\t-\tB", ok: true,
			want: Entry{Time: at, Kind: KindSwitch, To: "B"}},
		{name: "bad", line: "2026-11-22T10:00:00Z\tr1\talice\tbad\tB", ok: true,
			want: Entry{Time: at, RunID: "r1", User: "alice", Kind: KindBad, Release: "B"}},
		{name: "unlock keeps the owner line", ok: true,
			line: "2026-11-22T10:00:00Z\t-\tbob\tunlock\t2026-11-21T09:00:00Z\tr0\talice\tcutover\tmsg",
			want: Entry{Time: at, User: "bob", Kind: KindUnlock,
				Owner: "2026-11-21T09:00:00Z\tr0\talice\tcutover\tmsg"}},
		{name: "unknown kind", line: "2026-11-22T10:00:00Z\tr1\talice\tfrobnicate\tA\tB"},
		{name: "switch to bad id", line: "2026-11-22T10:00:00Z\tr1\talice\tswitch\tA\t../x"},
		{name: "bad time", line: "yesterday\tr1\talice\tbad\tB"},
		{name: "too short", line: "2026-11-22T10:00:00Z\tr1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseEntry(tt.line)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseEntry = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
