package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// cutoverEvents is a small run: web01 ok, web02 fails its restart and is
// undone, with a batch marker and a gate.
func cutoverEvents() []event.Event {
	exit1, exit0 := 1, 0
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	return []event.Event{
		{Time: at(0), Kind: event.RunStart, RunID: "r", Runbook: "cutover", User: "ana",
			Params: map[string]string{"release": "r2"}, Hosts: []string{"web01", "web02"}},
		{Time: at(10), Kind: event.BatchStart, Stage: "cutover", Batch: 1, Batches: 2},
		{Time: at(20), Kind: event.GateAsk, Stage: "cutover", Text: "start batch 2?"},
		{Time: at(100), Kind: event.StepStart, Host: "web01", Stage: "cutover", Step: "restart"},
		{Time: at(150), Kind: event.StepOutput, Host: "web01", Stage: "cutover", Step: "restart", Line: "started"},
		{Time: at(300), Kind: event.StepEnd, Host: "web01", Stage: "cutover", Step: "restart", Result: event.OK, Exit: &exit0, Duration: 200 * time.Millisecond},
		{Time: at(310), Kind: event.HostEnd, Host: "web01", Stage: "cutover", Result: event.OK, Duration: 210 * time.Millisecond},
		{Time: at(400), Kind: event.StepStart, Host: "web02", Stage: "cutover", Step: "restart"},
		{Time: at(450), Kind: event.StepOutput, Host: "web02", Stage: "cutover", Step: "restart", Line: "\x1b]52;c;aGk=\a<script>alert(1)</script>"},
		{Time: at(500), Kind: event.StepEnd, Host: "web02", Stage: "cutover", Step: "restart", Result: event.Failed, Exit: &exit1, Error: "exit 1"},
		{Time: at(600), Kind: event.StepStart, Host: "web02", Stage: "cutover", Step: "switch back", Undo: true},
		{Time: at(700), Kind: event.StepEnd, Host: "web02", Stage: "cutover", Step: "switch back", Undo: true, Result: event.OK},
		{Time: at(710), Kind: event.HostEnd, Host: "web02", Stage: "cutover", Result: event.Failed, Error: `exit 1 in "restart"`},
		{Time: at(800), Kind: event.RunEnd, Result: event.Failed, Code: 1},
	}
}

func TestBuild(t *testing.T) {
	run := Build("r", cutoverEvents())
	if len(run.Hosts) != 2 || run.Hosts[0].Name != "web01" || run.Hosts[1].Name != "web02" {
		t.Fatalf("hosts = %+v, want web01, web02 in order", run.Hosts)
	}
	web02 := run.Hosts[1]
	if !web02.Failed() || run.Hosts[0].Failed() {
		t.Errorf("failed: web01 %v, web02 %v; want false, true", run.Hosts[0].Failed(), web02.Failed())
	}
	if len(web02.Steps) != 2 || !web02.Steps[1].Undo || web02.Steps[0].Start != 400*time.Millisecond {
		t.Errorf("web02 steps = %+v", web02.Steps)
	}
	if got := web02.Steps[0].Tail; len(got) != 1 || strings.ContainsAny(got[0], "\x1b\a") {
		t.Errorf("tail %q keeps control bytes", got)
	}
	if len(run.Markers) != 2 || run.Markers[0].Kind != "batch" || run.Markers[1].Kind != "gate" {
		t.Errorf("markers = %+v", run.Markers)
	}
	if !run.Complete || run.Code != 1 || run.Span != 800*time.Millisecond {
		t.Errorf("complete %v code %d span %s", run.Complete, run.Code, run.Span)
	}
}

func TestWriteHTML(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, Build("r", cutoverEvents())); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`class="host-row failed" data-host="web02"`, // failures first, marked
		`"f":true`, `"undo ok"`, `release`, `r2`, "cutover",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Index(page, `data-host="web02"`) > strings.Index(page, `data-host="web01"`) {
		t.Errorf("the failed host is not listed first")
	}
	if strings.ContainsAny(page, "\x1b\a") || strings.Contains(page, "<script>alert") {
		t.Errorf("host output reached the page raw")
	}
	if regexp.MustCompile(`(?i)(src|href)="?https?:`).MatchString(page) {
		t.Errorf("the page loads something from the network")
	}
}

// TestLargeReport: 1,000 hosts × 10 steps stays under 5 MB.
func TestLargeReport(t *testing.T) {
	events := []event.Event{{Time: t0, Kind: event.RunStart, Runbook: "big"}}
	for h := 0; h < 1000; h++ {
		host := fmt.Sprintf("web%04d", h)
		for s := 0; s < 10; s++ {
			start := t0.Add(time.Duration(h*10+s) * time.Millisecond)
			step := fmt.Sprintf("step %d", s)
			events = append(events, event.Event{Time: start, Kind: event.StepStart, Host: host, Stage: "s", Step: step})
			for l := 0; l < 20; l++ {
				events = append(events, event.Event{Time: start, Kind: event.StepOutput, Host: host, Step: step,
					Line: strings.Repeat("output line ", 30)})
			}
			events = append(events, event.Event{Time: start.Add(5 * time.Millisecond), Kind: event.StepEnd, Host: host,
				Stage: "s", Step: step, Result: event.OK, Duration: 5 * time.Millisecond})
		}
		events = append(events, event.Event{Time: t0.Add(time.Duration(h*10+10) * time.Millisecond), Kind: event.HostEnd, Host: host, Stage: "s", Result: event.OK})
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, Build("big", events)); err != nil {
		t.Fatal(err)
	}
	t.Logf("1,000 hosts × 10 steps: %d bytes", b.Len())
	if b.Len() > 5<<20 {
		t.Errorf("report is %d bytes, want under 5 MB", b.Len())
	}
}

func TestVisible(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x1b[2Kb", "a^[[2Kb"},
		{"bell\a", "bell^G"},
		{"tab\tok", "tab\tok"},
		{"bad\xffutf8", `bad\xffutf8`},
		{"rtl\u202eoverride", `rtl\u202eoverride`},
		{"c1\u009bcsi", `c1\u009bcsi`},
	}
	for _, tt := range tests {
		if got := visible(tt.in); got != tt.want {
			t.Errorf("visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
