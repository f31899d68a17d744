package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
)

// checkGolden compares got with testdata/name; UPDATE_GOLDEN=1 rewrites it.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (UPDATE_GOLDEN=1 writes it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (UPDATE_GOLDEN=1 rewrites it)\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}

func exitCode(n int) *int { return &n }

// gatedRun is a cutover of four hosts: a gate before batch 2, web03 failing
// its restart, web04 skipped because the stage stopped.
func gatedRun() []event.Event {
	hosts := []string{"web01", "web02", "web03", "web04"}
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	return []event.Event{
		at(0, event.Event{Kind: event.RunStart, Runbook: "cutover", Hosts: hosts, User: "deploy"}),
		at(5, event.Event{Kind: event.StageStart, Stage: "cutover", Hosts: hosts}),
		at(5, event.Event{Kind: event.BatchStart, Stage: "cutover", Batch: 1, Batches: 2, Hosts: hosts[:1]}),
		at(6, event.Event{Kind: event.HostStart, Stage: "cutover", Host: "web01"}),
		at(7, event.Event{Kind: event.StepStart, Stage: "cutover", Host: "web01", Step: "restart", StepIndex: 1}),
		at(9, event.Event{Kind: event.StepOutput, Stage: "cutover", Host: "web01", Step: "restart", Line: "started release 2026-11-22, pid 4242"}),
		at(400, event.Event{Kind: event.StepEnd, Stage: "cutover", Host: "web01", Step: "restart", Result: event.OK, Exit: exitCode(0), Duration: ms(393)}),
		at(401, event.Event{Kind: event.HostEnd, Stage: "cutover", Host: "web01", Result: event.OK, Duration: ms(395)}),
		at(402, event.Event{Kind: event.BatchEnd, Stage: "cutover", Batch: 1, Batches: 2}),
		at(403, event.Event{Kind: event.GateAsk, Stage: "cutover", Batch: 2, Batches: 2, Hosts: hosts[1:], Text: "batch: "}),
		at(2500, event.Event{Kind: event.GateAnswer, Stage: "cutover", Batch: 2, Answer: "y"}),
		at(2501, event.Event{Kind: event.BatchStart, Stage: "cutover", Batch: 2, Batches: 2, Hosts: hosts[1:]}),
		at(2502, event.Event{Kind: event.HostStart, Stage: "cutover", Host: "web02"}),
		at(2502, event.Event{Kind: event.HostStart, Stage: "cutover", Host: "web03"}),
		at(2503, event.Event{Kind: event.StepStart, Stage: "cutover", Host: "web02", Step: "restart", StepIndex: 1}),
		at(2503, event.Event{Kind: event.StepStart, Stage: "cutover", Host: "web03", Step: "restart", StepIndex: 1}),
		at(2600, event.Event{Kind: event.StepOutput, Stage: "cutover", Host: "web03", Step: "restart", Line: "FATAL: release 2026-11-22 cannot open its database"}),
		at(2700, event.Event{Kind: event.StepEnd, Stage: "cutover", Host: "web03", Step: "restart", Result: event.Failed, Exit: exitCode(1), Error: "exit 1", Duration: ms(197)}),
		at(2701, event.Event{Kind: event.HostEnd, Stage: "cutover", Host: "web03", Result: event.Failed, Error: `exit 1 in "restart"`, Duration: ms(199)}),
		at(2900, event.Event{Kind: event.StepEnd, Stage: "cutover", Host: "web02", Step: "restart", Result: event.OK, Exit: exitCode(0), Duration: ms(397)}),
		at(2901, event.Event{Kind: event.HostEnd, Stage: "cutover", Host: "web02", Result: event.OK, Duration: ms(399)}),
		at(2902, event.Event{Kind: event.HostEnd, Stage: "cutover", Host: "web04", Result: event.Skipped, Text: "not started: the stage stopped after 1 failure"}),
		at(2903, event.Event{Kind: event.StageEnd, Stage: "cutover", Result: event.Failed}),
		at(2904, event.Event{Kind: event.RunEnd, Result: event.Failed, Code: 1}),
	}
}

func gatedSummary() []SummaryRow {
	return []SummaryRow{
		{Host: "web01", Stage: "cutover", Result: event.OK, Duration: 395 * time.Millisecond},
		{Host: "web02", Stage: "cutover", Result: event.OK, Duration: 399 * time.Millisecond},
		{Host: "web03", Stage: "cutover", Result: event.Failed, Duration: 199 * time.Millisecond,
			Note: `exit 1 in "restart": FATAL: release 2026-11-22 cannot open its database, and the log says more than a terminal line can hold`},
		{Host: "web04", Stage: "cutover", Result: event.Skipped, Note: "not started: the stage stopped after 1 failure"},
	}
}

func TestGolden(t *testing.T) {
	hosts := []string{"web01", "web02", "web03", "web04"}
	tests := []struct {
		name   string
		render func(w *bytes.Buffer, st *Style)
	}{
		{"lines.golden", func(w *bytes.Buffer, st *Style) {
			l := NewLines(w, st, false, hosts)
			for _, e := range gatedRun() {
				l.Emit(e)
			}
		}},
		{"lines-verbose.golden", func(w *bytes.Buffer, st *Style) {
			l := NewLines(w, st, true, hosts)
			for _, e := range gatedRun() {
				l.Emit(e)
			}
		}},
		{"summary.golden", func(w *bytes.Buffer, st *Style) { Summary(w, st, gatedSummary()) }},
		{"summary-80.golden", func(w *bytes.Buffer, st *Style) {
			st.Width = 80
			Summary(w, st, gatedSummary())
		}},
		{"timeline.golden", func(w *bytes.Buffer, st *Style) { Timeline(w, st, gatedRun(), false) }},
		{"gate.golden", func(w *bytes.Buffer, st *Style) {
			g := NewGate(w, st, func(_ context.Context, prompt string) (string, error) {
				w.WriteString(prompt + "y\n")
				return "y", nil
			})
			g.Ask(context.Background(), engine.Question{Kind: engine.AskBatch, Stage: "cutover", Batch: 2, Batches: 3,
				Hosts: []string{"web02", "web03"}, Waiting: 1})
			g.Ask(context.Background(), engine.Question{Kind: engine.AskConfirm, Stage: "cutover", Host: "web03",
				Text: "looks fine?", Tail: []string{"10:00:01 starting release 2026-11-22", "10:00:02 listening on :8080"}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			tt.render(&out, NewStyle(&out, false))
			if bytes.IndexByte(out.Bytes(), 0x1b) >= 0 {
				t.Errorf("plain output has an escape byte:\n%q", out.String())
			}
			checkGolden(t, tt.name, out.String())
		})
	}
}

// TestColorOutputIsStyled guards the test above: the same renderings with
// colour do carry escape codes, so their absence means something.
func TestColorOutputIsStyled(t *testing.T) {
	var out bytes.Buffer
	st := NewStyle(&out, true)
	Summary(&out, st, gatedSummary())
	if !strings.Contains(out.String(), "\x1b[") {
		t.Errorf("coloured summary has no escape code:\n%s", out.String())
	}
}
