package journal

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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

// TestDamagedLastLine: a run killed mid-write reads as incomplete, and a
// damaged line in the middle is still an error.
func TestDamagedLastLine(t *testing.T) {
	dir := t.TempDir()
	good := `{"time":"2026-11-22T10:00:00Z","kind":"run.start","runbook":"cutover"}` + "\n"
	os.WriteFile(filepath.Join(dir, "cut.jsonl"), []byte(good+`{"time":"2026-11-22T10:00:01Z","ki`), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte(good+"{oops\n"+good), 0o600)
	run, err := Read(dir, "cut")
	if err != nil || run.Runbook != "cutover" || run.Complete {
		t.Errorf("Read(cut) = %+v, %v; want an incomplete cutover run", run, err)
	}
	if _, err := Read(dir, "bad"); err == nil {
		t.Error("Read(bad) accepted a damaged line in the middle")
	}
	os.WriteFile(filepath.Join(dir, "broken.jsonl"), []byte(`{"kind":"run.start" oops}`+"\n"+good), 0o600)
	runs, err := List(dir)
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []string{"bad", "cut"}) {
		t.Errorf("List = %v, %v; want bad and cut (the broken run left out, the others listed)", ids, err)
	}
}
