package journal

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

// FuzzAppendOutput: an output line's event is written byte for byte as
// json.Marshal writes it, whatever its text and names hold.
func FuzzAppendOutput(f *testing.F) {
	f.Add("plain line", "web01", "restart", 3, false, int64(0), "r-1")
	f.Add("\b\f\x01\x1f\x7f \"quoted\" \\ <tag> & \u2028\u2029 \xff\xc3(", "h<1>", "s\tep", 0, true, int64(999999999), "")
	f.Add("ünïcödé ✓ 日本語 \U0001F600", "", "", 1<<30, false, int64(-5), "\x00")
	f.Fuzz(func(t *testing.T, line, host, step string, index int, undo bool, nsec int64, stage string) {
		zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600+30*60), time.FixedZone("X", -7*3600)}
		e := event.Event{
			Time: time.Unix(1_800_000_000+nsec%1_000_000, nsec%1_000_000_000).In(zones[uint64(nsec)%3]),
			Kind: event.StepOutput, RunID: "20261206-120000-abcdef", Stage: stage, Host: host,
			Step: step, StepIndex: index, Undo: undo, Line: line,
		}
		got, ok := appendOutput(nil, e)
		if !ok {
			t.Fatalf("appendOutput refused %+v", e)
		}
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("appendOutput\n got %s\nwant %s", got, want)
		}
	})
}

// TestAppendOutputOthers: an event with any field an output line has
// not is left to json.Marshal.
func TestAppendOutputOthers(t *testing.T) {
	code := 0
	base := event.Event{Time: time.Now(), Kind: event.StepOutput, Host: "h", Line: "x"}
	for name, change := range map[string]func(*event.Event){
		"kind":     func(e *event.Event) { e.Kind = event.StepEnd },
		"runbook":  func(e *event.Event) { e.Runbook = "r" },
		"batch":    func(e *event.Event) { e.Batch = 1 },
		"batches":  func(e *event.Event) { e.Batches = 1 },
		"hosts":    func(e *event.Event) { e.Hosts = []string{} },
		"text":     func(e *event.Event) { e.Text = "t" },
		"answer":   func(e *event.Event) { e.Answer = "a" },
		"result":   func(e *event.Event) { e.Result = event.OK },
		"exit":     func(e *event.Event) { e.Exit = &code },
		"error":    func(e *event.Event) { e.Error = "e" },
		"duration": func(e *event.Event) { e.Duration = 1 },
		"params":   func(e *event.Event) { e.Params = map[string]string{} },
		"code":     func(e *event.Event) { e.Code = 1 },
		"user":     func(e *event.Event) { e.User = "u" },
		"year":     func(e *event.Event) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		e := base
		change(&e)
		if b, ok := appendOutput(nil, e); ok {
			t.Errorf("%s: appendOutput wrote %s, want it left to json.Marshal", name, b)
		}
	}
	if _, ok := appendOutput(nil, base); !ok {
		t.Error("appendOutput refused a plain output line")
	}
}
