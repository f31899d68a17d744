package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	j, err := Create(dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	events := []event.Event{
		{Time: t0, Kind: event.RunStart, Runbook: "cutover", User: "ann", Params: map[string]string{"release": "r2"}, Hosts: []string{"a", "b"}},
		{Time: t0, Kind: event.HostEnd, Stage: "pull", Host: "a", Result: event.OK},
		{Time: t0, Kind: event.HostEnd, Stage: "pull", Host: "b", Result: event.Failed, Error: "exit 1"},
		{Time: t0.Add(time.Minute), Kind: event.RunEnd, Result: event.Failed, Code: 1},
	}
	for _, e := range events {
		if err := j.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	run, err := Read(dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if run.Runbook != "cutover" || run.User != "ann" || !run.Complete || run.Code != 1 {
		t.Errorf("run = %+v", run)
	}
	if want := map[event.Result]int{event.OK: 1, event.Failed: 1}; !reflect.DeepEqual(run.Counts, want) {
		t.Errorf("Counts = %v, want %v", run.Counts, want)
	}
	if want := map[string][]string{"a": {"pull"}}; !reflect.DeepEqual(run.DoneStages(), want) {
		t.Errorf("DoneStages = %v, want %v", run.DoneStages(), want)
	}
}

func TestListNewestFirst(t *testing.T) {
	dir := t.TempDir()
	for i, id := range []string{"old", "new"} {
		j, err := Create(dir, id)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC)
		if err := j.Emit(event.Event{Time: start, Kind: event.RunStart, Runbook: id}); err != nil {
			t.Fatal(err)
		}
		j.Close()
	}
	last, err := Last(dir)
	if err != nil || last != "new" {
		t.Errorf("Last = %q, %v; want new", last, err)
	}
	if _, err := Last(t.TempDir()); !errors.Is(err, ErrNoRuns) {
		t.Errorf("Last(empty) error = %v, want ErrNoRuns", err)
	}
}

func TestCreateRefusesExisting(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.jsonl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(dir, "x"); err == nil {
		t.Error("Create over an existing journal succeeded")
	}
}

func TestWriteFailureIsSticky(t *testing.T) {
	j, err := Create(t.TempDir(), "r")
	if err != nil {
		t.Fatal(err)
	}
	j.f.Close() // make the next sync fail
	if err := j.Emit(event.Event{Kind: event.RunStart}); err == nil {
		t.Fatal("Emit after the file broke succeeded")
	}
	if err := j.Emit(event.Event{Kind: event.Note}); err == nil {
		t.Error("a later Emit forgot the write failure")
	}
}

// TestDamagedLines: a run killed mid-write reads as incomplete; a damaged
// line anywhere is skipped with a note, and no run is left out of List.
func TestDamagedLines(t *testing.T) {
	dir := t.TempDir()
	good := `{"time":"2026-11-22T10:00:00Z","kind":"run.start","runbook":"cutover"}` + "\n"
	write(t, dir, "cut", good+`{"time":"2026-11-22T10:00:01Z","ki`)
	write(t, dir, "bad", good+"{oops\n"+`{"kind":"host.end","host":"a","stage":"s","result":"ok"}`+"\n")
	write(t, dir, "20261122-090000-aaaaaa", `{"kind":"run.start" oops}`+"\n")
	run, err := Read(dir, "cut")
	if err != nil || run.Runbook != "cutover" || run.Complete || run.Skipped != 1 {
		t.Errorf("Read(cut) = %+v, %v; want an incomplete cutover run with one skipped line", run, err)
	}
	run, err = Read(dir, "bad")
	if err != nil || run.Counts[event.OK] != 1 || len(run.Notes) != 1 {
		t.Fatalf("Read(bad) = %+v, %v; want the line after the damaged one read", run, err)
	}
	if want := "bad.jsonl:2: skipped a damaged line"; !strings.HasPrefix(run.Notes[0], want) {
		t.Errorf("note = %q, want it to start with %q", run.Notes[0], want)
	}
	runs, err := List(dir)
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []string{"20261122-090000-aaaaaa", "bad", "cut"}) {
		t.Errorf("List = %v, %v; want every run, the damaged ones too", ids, err)
	}
	for _, r := range runs {
		if r.ID == "20261122-090000-aaaaaa" && !r.Start.Equal(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)) {
			t.Errorf("a run without a readable start is dated %v, want the time in its id", r.Start)
		}
	}
}

// TestAppendAfterTornLine: resuming a run that was killed mid-write cuts the
// half line away, so the whole run reads back with the new events.
func TestAppendAfterTornLine(t *testing.T) {
	dir := t.TempDir()
	start := `{"time":"2026-11-22T10:00:00Z","kind":"run.start","runbook":"cutover","params":{"release":"r2"}}` + "\n"
	write(t, dir, "r", start+`{"time":"2026-11-22T10:00:01Z","kind":"host.end","host":"a","sta`)
	emitAll(t, dir, "r", event.Event{Kind: event.HostEnd, Host: "a", Stage: "pull", Result: event.OK},
		event.Event{Kind: event.RunEnd, Result: event.OK})
	run, err := Read(dir, "r")
	if err != nil {
		t.Fatal(err)
	}
	if !run.Complete || run.Skipped != 0 || run.Params["release"] != "r2" || run.Counts[event.OK] != 1 {
		t.Errorf("run = %+v; want complete, nothing skipped, params and the host kept", run)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "r.jsonl"))
	if n := strings.Count(string(b), "\n"); n != 3 {
		t.Errorf("journal has %d lines, want 3 (the half line removed):\n%s", n, b)
	}
}

// TestAppendKeepsWholeLastEvent: a last event that lost only its newline is
// kept, not cut.
func TestAppendKeepsWholeLastEvent(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "r", `{"kind":"run.start","runbook":"x"}`+"\n"+`{"kind":"host.end","host":"a","stage":"s","result":"ok"}`)
	emitAll(t, dir, "r", event.Event{Kind: event.RunEnd, Result: event.OK})
	run, err := Read(dir, "r")
	if err != nil || !run.Complete || run.Counts[event.OK] != 1 || run.Skipped != 0 {
		t.Errorf("Read = %+v, %v; want the last host.end kept and the run complete", run, err)
	}
}

// TestReadLongLine: a line longer than any event (a host that printed tens
// of megabytes without a newline, written by an older drover) is skipped
// with a note instead of failing with "token too long".
func TestReadLongLine(t *testing.T) {
	dir := t.TempDir()
	long := `{"kind":"output","host":"a","text":"` + strings.Repeat("x", maxLine+1) + `"}` + "\n"
	write(t, dir, "r", `{"kind":"run.start","runbook":"x"}`+"\n"+long+`{"kind":"run.end","result":"ok"}`+"\n")
	for _, read := range []func() (*Run, error){
		func() (*Run, error) { return Read(dir, "r") },
		func() (*Run, error) { rs, err := List(dir); return rs[0], err },
	} {
		run, err := read()
		if err != nil || !run.Complete || run.Runbook != "x" {
			t.Fatalf("run = %+v, %v; want the lines around the long one read", run, err)
		}
	}
	run, _ := Read(dir, "r")
	if len(run.Notes) != 1 || !strings.Contains(run.Notes[0], "r.jsonl:2: skipped a line of") {
		t.Errorf("notes = %q, want one about line 2", run.Notes)
	}
}

// TestLastIsNewestEvenIfDamaged: --resume last must pick the newest run
// even when its journal has a damaged line, never an older run.
func TestLastIsNewestEvenIfDamaged(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "old", `{"time":"2026-11-20T10:00:00Z","kind":"run.start","runbook":"x"}`+"\n"+`{"kind":"run.end","result":"ok"}`+"\n")
	write(t, dir, "new", `{"time":"2026-11-22T10:00:00Z","kind":"run.start","runbook":"x"}`+"\n{\"kind\":\"host.end\",\"ho\n"+`{"kind":"host.end","host":"a"}`+"\n")
	if last, err := Last(dir); err != nil || last != "new" {
		t.Errorf("Last = %q, %v; want new", last, err)
	}
}

func write(t *testing.T, dir, id, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, id+".jsonl"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func emitAll(t *testing.T, dir, id string, events ...event.Event) {
	t.Helper()
	j, err := Append(dir, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := j.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestLongEventIsCut: an event too long for a journal line is written with
// its text cut, so it reads back instead of being skipped.
func TestLongEventIsCut(t *testing.T) {
	dir := t.TempDir()
	j, err := Create(dir, "r")
	if err != nil {
		t.Fatal(err)
	}
	j.Emit(event.Event{Kind: event.RunStart, Runbook: "x"})
	j.Emit(event.Event{Kind: event.HostEnd, Host: "a", Stage: "s", Result: event.Failed, Error: strings.Repeat("x", maxLine)})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	run, err := Read(dir, "r")
	if err != nil || run.Skipped != 0 || run.Counts[event.Failed] != 1 {
		t.Fatalf("Read = %+v, %v; want the long host.end read back", run, err)
	}
	if e := run.Events[1].Error; len(e) > maxField+64 || !strings.HasSuffix(e, " bytes cut]") {
		t.Errorf("error kept %d bytes, want it cut to %d with a marker", len(e), maxField)
	}
}

// TestDoneStagesAfterUndo: a stage whose undo started on a host is not done
// there, even when drover died during that undo, so a resume runs it again
// and its abort undoes it again; a later completion counts again.
func TestDoneStagesAfterUndo(t *testing.T) {
	dir := t.TempDir()
	j, err := Create(dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, e := range []event.Event{
		{Time: t0, Kind: event.RunStart, RunID: "r1", Runbook: "cutover"},
		{Time: t0, Kind: event.HostEnd, Stage: "cut", Host: "a", Result: event.OK},
		{Time: t0, Kind: event.HostEnd, Stage: "cut", Host: "b", Result: event.OK},
		{Time: t0, Kind: event.HostEnd, Stage: "cut", Host: "c", Result: event.Failed},
		{Time: t0, Kind: event.UndoStart, Stage: "cut", Hosts: []string{"a", "c"}},
		{Time: t0, Kind: event.HostEnd, Stage: "pull", Host: "a", Result: event.OK},
	} {
		if err := j.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	run, err := Read(dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]string{"a": {"pull"}, "b": {"cut"}, "c": nil}; !reflect.DeepEqual(run.DoneStages(), want) {
		t.Errorf("DoneStages = %v, want %v", run.DoneStages(), want)
	}
}

// TestEmitReachesTheFile: every event but an output line is in the file
// when Emit returns, without Close or a sync, so a drover killed with
// SIGKILL keeps every step it reported; output lines emitted before such
// an event are written ahead of it.
func TestEmitReachesTheFile(t *testing.T) {
	dir := t.TempDir()
	j, err := Create(dir, "r")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	step := func(k event.Kind, name, line string) event.Event {
		return event.Event{Kind: k, Stage: "switch", Host: "web01", Step: name, Line: line}
	}
	events := []event.Event{
		{Kind: event.RunStart, Runbook: "cutover"},
		{Kind: event.HostConnect, Host: "web01", Result: event.OK},
		{Kind: event.StageStart, Stage: "switch", Hosts: []string{"web01"}},
		{Kind: event.BatchStart, Stage: "switch", Batch: 1, Batches: 1, Hosts: []string{"web01"}},
		{Kind: event.HostStart, Stage: "switch", Host: "web01"},
		step(event.StepStart, "switch", ""),
		step(event.StepOutput, "switch", "linked"),
		step(event.StepOutput, "switch", "current -> r2"),
		{Kind: event.StepEnd, Stage: "switch", Host: "web01", Step: "switch", Result: event.OK},
		step(event.StepStart, "restart", ""),
		step(event.StepOutput, "restart", "stopping"),
		{Kind: event.GateAsk, Stage: "switch", Batch: 1, Text: "go on?"},
		{Kind: event.UndoStart, Stage: "switch", Hosts: []string{"web01"}},
		{Kind: event.Note, Text: "lock taken"},
	}
	for i, e := range events {
		if err := j.Emit(e); err != nil {
			t.Fatal(err)
		}
		want := events[:i+1]
		for len(want) > 0 && want[len(want)-1].Kind == event.StepOutput {
			want = want[:len(want)-1] // may wait in the buffer
		}
		got := readBack(t, j.Path())
		if len(got) < len(want) || len(got) > i+1 {
			t.Fatalf("after emitting %s the file holds %d events, want %d to %d:\n%v", e.Kind, len(got), len(want), i+1, got)
		}
		for k, w := range events[:len(got)] {
			if line := string(w.Kind) + " " + w.Step + w.Line; got[k] != line {
				t.Fatalf("after emitting %s, line %d is %q, want %q", e.Kind, k+1, got[k], line)
			}
		}
	}
}

// TestEmitConcurrentHosts: hosts emitting at once leave whole lines in the
// order each host emitted them, and every host's end in the file before
// Close.
func TestEmitConcurrentHosts(t *testing.T) {
	dir := t.TempDir()
	j, err := Create(dir, "r")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	const hosts, lines = 8, 200
	var wg sync.WaitGroup
	for h := range hosts {
		host := fmt.Sprintf("web%02d", h)
		wg.Go(func() {
			emit := func(e event.Event) {
				e.Stage, e.Host = "pull", host
				if err := j.Emit(e); err != nil {
					t.Error(err)
				}
			}
			emit(event.Event{Kind: event.HostStart})
			emit(event.Event{Kind: event.StepStart, Step: "pull"})
			for n := range lines {
				emit(event.Event{Kind: event.StepOutput, Step: "pull", Line: strconv.Itoa(n)})
			}
			emit(event.Event{Kind: event.StepEnd, Step: "pull", Result: event.OK})
			emit(event.Event{Kind: event.HostEnd, Result: event.OK})
		})
	}
	wg.Wait()
	b, err := os.ReadFile(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var e event.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		seen[e.Host] = append(seen[e.Host], string(e.Kind)+" "+e.Line)
	}
	want := []string{"host.start ", "step.start "}
	for n := range lines {
		want = append(want, "step.output "+strconv.Itoa(n))
	}
	want = append(want, "step.end ", "host.end ")
	for h := range hosts {
		host := fmt.Sprintf("web%02d", h)
		if !slices.Equal(seen[host], want) {
			t.Errorf("%s: file holds %v\nwant %v", host, seen[host], want)
		}
	}
}

// readBack reads the journal at path through a handle of its own, as
// `drover log` reads the journal of a killed run, and returns each line's
// kind followed by its step and output line.
func readBack(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for l := range strings.Lines(string(b)) {
		var e event.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, string(e.Kind)+" "+e.Step+e.Line)
	}
	return got
}
