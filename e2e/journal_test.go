//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// journalEvent is the part of a journal line (internal/event.Event) the
// suite looks at.
type journalEvent struct {
	Kind   string            `json:"kind"`
	RunID  string            `json:"run_id"`
	Stage  string            `json:"stage"`
	Batch  int               `json:"batch"`
	Host   string            `json:"host"`
	Hosts  []string          `json:"hosts"`
	Step   string            `json:"step"`
	Line   string            `json:"line"`
	Text   string            `json:"text"`
	Result string            `json:"result"`
	Error  string            `json:"error"`
	Code   int               `json:"code"`
	Params map[string]string `json:"params"`
	Undo   bool              `json:"undo"`
	Time   time.Time         `json:"time"`
}

// journalDir is where drover runs of the suite keep their journals.
func journalDir() string { return filepath.Join(farm.Home, "state", "drover", "runs") }

// lastJournal is the path and the events of the newest journal, which must
// have been written after since.
func lastJournal(t testing.TB, since time.Time) (string, []journalEvent) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(journalDir(), "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no journal in %s (%v)", journalDir(), err)
	}
	var newest string
	var newestTime time.Time
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.ModTime().After(newestTime) {
			newest, newestTime = f, st.ModTime()
		}
	}
	if newestTime.Before(since) {
		t.Fatalf("no journal written since %v in %s", since, journalDir())
	}
	return newest, readJournal(t, newest)
}

// readJournal parses a journal file line by line.
func readJournal(t testing.TB, path string) []journalEvent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open journal: %v", err)
	}
	defer f.Close()
	var events []journalEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e journalEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal %s: line %q: %v", path, sc.Text(), err)
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read journal %s: %v", path, err)
	}
	return events
}

// findEvents is the events of kind, in order.
func findEvents(events []journalEvent, kind string) []journalEvent {
	var out []journalEvent
	for _, e := range events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// hostEnd is host's host.end event in stage, or false.
func hostEnd(events []journalEvent, stage, host string) (journalEvent, bool) {
	i := slices.IndexFunc(events, func(e journalEvent) bool {
		return e.Kind == "host.end" && e.Stage == stage && e.Host == host
	})
	if i < 0 {
		return journalEvent{}, false
	}
	return events[i], true
}

// journalHas reports whether any line of the journal file contains s.
func journalHas(t testing.TB, path, s string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read journal: %v", err)
	}
	return strings.Contains(string(b), s)
}
