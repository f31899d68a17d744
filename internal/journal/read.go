package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

// ErrNoRuns is returned when the journal directory holds no run.
var ErrNoRuns = errors.New("no runs in the journal")

// Run is what the journal knows about one run.
type Run struct {
	ID       string
	Runbook  string
	File     string // the runbook file
	User     string
	Start    time.Time
	End      time.Time // zero while running or when the run was killed
	Result   event.Result
	Code     int
	Params   map[string]string
	Hosts    []string
	Counts   map[event.Result]int // hosts by their final result
	Events   []event.Event
	Complete bool // a run.end event was written
	// Summary is the table the run's last attempt showed at its end, one
	// host.summary event per host in plan order; nil for a run killed
	// before its end (and for journals older than host.summary).
	Summary []event.Event

	// Notes say which lines were skipped (damaged or too long), at most
	// maxNotes of them; Skipped counts them all.
	Notes   []string
	Skipped int
}

// Read loads run id from dir, every event.
func Read(dir, id string) (*Run, error) { return read(dir, id, nil) }

// summaryKinds are the events List needs: who, when, how it ended, and each
// host's result. Other lines are not decoded.
var summaryKinds = [][]byte{[]byte(`"kind":"run.`), []byte(`"kind":"host.end"`), []byte(`"kind":"host.connect"`),
	[]byte(`"kind":"host.summary"`)}

// read loads run id; with keep set, only lines holding one of keep are
// decoded. A line that does not decode (cut short by a crash, or damaged)
// or is too long is skipped with a note in Run.Notes: a damaged line never
// hides the rest of the run.
func read(dir, id string, keep [][]byte) (*Run, error) {
	path := filepath.Join(dir, id+".jsonl")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no run %q in %s", id, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	run := &Run{ID: id, Counts: map[event.Result]int{}}
	lr := newLineReader(f)
	for {
		b, size, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read journal %s: %w", id, err)
		}
		if size > maxLine {
			run.note("%s.jsonl:%d: skipped a line of %d bytes (the limit is %d)", id, lr.line, size, maxLine)
			continue
		}
		if keep != nil && !containsAny(b, keep) {
			continue
		}
		var e event.Event
		if err := json.Unmarshal(b, &e); err != nil {
			run.note("%s.jsonl:%d: skipped a damaged line: %v", id, lr.line, err)
			continue
		}
		run.add(e)
	}
	run.count()
	run.startFallback(path)
	return run, nil
}

// maxNotes bounds Run.Notes; the rest are only counted in Skipped.
const maxNotes = 10

func (r *Run) note(format string, args ...any) {
	r.Skipped++
	if len(r.Notes) < maxNotes {
		r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
	}
}

// startFallback dates a run whose run.start line was lost: by the time in
// its id, else by its file, so that it still sorts among the others.
func (r *Run) startFallback(path string) {
	if !r.Start.IsZero() {
		return
	}
	if len(r.ID) >= len(idTime) {
		if t, err := time.Parse(idTime, r.ID[:len(idTime)]); err == nil {
			r.Start = t
			return
		}
	}
	if info, err := os.Stat(path); err == nil {
		r.Start = info.ModTime()
	}
}

func containsAny(b []byte, subs [][]byte) bool {
	for _, s := range subs {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

func (r *Run) add(e event.Event) {
	r.Events = append(r.Events, e)
	switch e.Kind {
	case event.RunStart:
		if r.Start.IsZero() {
			r.Start, r.Runbook, r.User, r.Params, r.Hosts = e.Time, e.Runbook, e.User, e.Params, e.Hosts
			r.File = e.Text
		}
		r.Summary = nil // a resume shows its own table
	case event.HostSummary:
		r.Summary = append(r.Summary, e)
	case event.RunEnd:
		r.End, r.Result, r.Code, r.Complete = e.Time, e.Result, e.Code, true
	}
}

// count fills Counts with each host's result in the run's summary, or,
// for a run without one, its last host.end result.
func (r *Run) count() {
	if len(r.Summary) > 0 {
		for _, e := range r.Summary {
			r.Counts[e.Result]++
		}
		return
	}
	last := map[string]event.Result{}
	for _, e := range r.Events {
		if e.Kind == event.HostEnd {
			last[e.Host] = e.Result
		}
	}
	for _, res := range last {
		r.Counts[res]++
	}
}

// DoneStages returns, for each host, the stages it completed with result ok
// (or skipped by a person), across every attempt recorded in the run: what a
// resume must not do again. A stage whose undo started on a host is not
// done there any more, even if the undo was cut short: a resume runs it
// again.
func (r *Run) DoneStages() map[string][]string {
	done := map[string][]string{}
	for _, e := range r.Events {
		switch {
		case e.Kind == event.HostEnd && e.Stage != "" && (e.Result == event.OK || e.Result == event.Skipped):
			if !slices.Contains(done[e.Host], e.Stage) {
				done[e.Host] = append(done[e.Host], e.Stage)
			}
		case e.Kind == event.UndoStart:
			for _, h := range e.Hosts {
				done[h] = slices.DeleteFunc(done[h], func(s string) bool { return s == e.Stage })
			}
		}
	}
	return done
}

// List returns the runs in dir, newest first. Events are not kept.
func List(dir string) ([]*Run, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("list runs in %s: %w", dir, err)
	}
	var runs []*Run
	for _, p := range paths {
		id := strings.TrimSuffix(filepath.Base(p), ".jsonl")
		r, err := read(dir, id, summaryKinds)
		if err != nil {
			// Unreadable as a file (permissions): still listed, so that
			// no run is hidden from `drover log` or from --resume last.
			r = &Run{ID: id, Counts: map[event.Result]int{}, Notes: []string{err.Error()}, Skipped: 1}
			r.startFallback(p)
		}
		r.Events = nil
		runs = append(runs, r)
	}
	sort.Slice(runs, func(i, j int) bool {
		if !runs[i].Start.Equal(runs[j].Start) {
			return runs[i].Start.After(runs[j].Start)
		}
		return runs[i].ID > runs[j].ID
	})
	return runs, nil
}

// Last returns the id of the newest run in dir.
func Last(dir string) (string, error) {
	runs, err := List(dir)
	if err != nil {
		return "", err
	}
	if len(runs) == 0 {
		return "", ErrNoRuns
	}
	return runs[0].ID, nil
}

// idTime is the layout of the time at the start of a run id.
const idTime = "20060102-150405"

// NewID returns a run id: the UTC time and a short random suffix, so ids sort
// by time and two runs started in the same second differ.
func NewID(now time.Time, random string) string {
	return now.UTC().Format(idTime) + "-" + random
}
