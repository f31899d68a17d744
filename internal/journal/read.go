package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
}

// Read loads run id from dir, every event.
func Read(dir, id string) (*Run, error) { return read(dir, id, nil) }

// summaryKinds are the events List needs: who, when, how it ended, and each
// host's result. Other lines are not decoded.
var summaryKinds = [][]byte{[]byte(`"kind":"run.`), []byte(`"kind":"host.end"`), []byte(`"kind":"host.connect"`)}

// read loads run id; with keep set, only lines holding one of keep are decoded.
func read(dir, id string, keep [][]byte) (*Run, error) {
	f, err := os.Open(filepath.Join(dir, id+".jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no run %q in %s", id, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	defer f.Close()
	run := &Run{ID: id, Counts: map[event.Result]int{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var damaged error // a line that did not decode; fine only as the last line
	for line := 1; sc.Scan(); line++ {
		if damaged != nil {
			return nil, damaged
		}
		if keep != nil && !containsAny(sc.Bytes(), keep) {
			continue
		}
		var e event.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// A run killed mid-write leaves half a last line: the run
			// reads as incomplete, not as unreadable.
			damaged = fmt.Errorf("%s.jsonl:%d: %w", id, line, err)
			continue
		}
		run.add(e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read journal %s: %w", id, err)
	}
	run.count()
	return run, nil
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
	case event.RunEnd:
		r.End, r.Result, r.Code, r.Complete = e.Time, e.Result, e.Code, true
	}
}

// count fills Counts with each host's last host.end result.
func (r *Run) count() {
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
// resume must not do again.
func (r *Run) DoneStages() map[string][]string {
	done := map[string][]string{}
	for _, e := range r.Events {
		if e.Kind == event.HostEnd && e.Stage != "" && (e.Result == event.OK || e.Result == event.Skipped) {
			done[e.Host] = append(done[e.Host], e.Stage)
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
			continue // one damaged journal does not hide the others
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

// NewID returns a run id: the UTC time and a short random suffix, so ids sort
// by time and two runs started in the same second differ.
func NewID(now time.Time, random string) string {
	return now.UTC().Format("20060102-150405") + "-" + random
}
