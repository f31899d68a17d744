//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromium runs headless Chromium on the page with args (e.g. --dump-dom)
// and returns what it printed.
func chromium(t *testing.T, page string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		skipUnlessCI(t, "needs chromium (apt install chromium): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	full := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}, args...)
	out, err := exec.CommandContext(ctx, bin, append(full, "file://"+page)...).Output()
	if err != nil {
		t.Fatalf("chromium %v: %v", args, err)
	}
	return string(out)
}

// TestReportCutoverFailure: the report of a 12-host cutover stopped by a
// failing host renders 12 timeline rows in a real browser, the failing
// host's row and bars marked as failed, the undo drawn.
func TestReportCutoverFailure(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:12]
	source := installApp(t, hosts, "web[01:12]", "r1")
	writeIn(t, srvPath("web03", "app"), "fail-r2", "")
	page := filepath.Join(t.TempDir(), "cutover.html")
	if _, _, code := droverCmd(t, cutoverArgs(source, "r2", "web[01:12]", "--report", page)...); code != 1 {
		t.Fatalf("cutover with a failing web03: exit %d, want 1", code)
	}
	dom := chromium(t, page, "--dump-dom")
	if n := strings.Count(dom, `<g class="row failed"`); n != 1 {
		t.Errorf("timeline has %d rows marked failed, want 1 (web03)", n)
	}
	if n := strings.Count(dom, `<g class="row`); n != 12 {
		t.Errorf("timeline has %d rows, want 12", n)
	}
	row := regexp.MustCompile(`(?s)<g class="row failed" data-host="web03">.*?</g>`).FindString(dom)
	if row == "" || !strings.Contains(row, `class="bar failed"`) {
		t.Errorf("web03's row is not marked failed, or has no failed bar: %.300q", row)
	}
	if !strings.Contains(dom, `class="bar undo ok"`) {
		t.Errorf("no undo bar in the timeline")
	}
	if os.Getenv("DROVER_REPORT_SCREENSHOT") != "" {
		shot := os.Getenv("DROVER_REPORT_SCREENSHOT")
		chromium(t, page, "--screenshot="+shot, "--window-size=1200,1000", "--hide-scrollbars")
		t.Logf("screenshot in %s", shot)
	}
}

// TestReportLarge: the report of 1,000 hosts × 10 steps is under 5 MB and
// draws in under 2 s in headless Chromium.
func TestReportLarge(t *testing.T) {
	needDrover(t, "log")
	id := writeLargeJournal(t, 1000, 10)
	page := filepath.Join(t.TempDir(), "large.html")
	c := exec.Command(droverBin, "log", id, "--html", page)
	c.Env = droverEnv()
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("drover log --html: %v\n%s", err, out)
	}
	fi, err := os.Stat(page)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 5<<20 {
		t.Errorf("report is %d bytes, want under 5 MB", fi.Size())
	}
	dom := chromium(t, page, "--dump-dom")
	m := regexp.MustCompile(`data-drawn="(\d+)" data-draw-ms="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page's script did not finish drawing")
	}
	ms, _ := strconv.Atoi(m[2])
	t.Logf("1,000 hosts × 10 steps: %d bytes, drawn %s rows in %d ms after navigation", fi.Size(), m[1], ms)
	if m[1] != "1000" || ms > 2000 {
		t.Errorf("drew %s rows in %d ms, want 1000 rows in under 2000 ms", m[1], ms)
	}
}

// writeLargeJournal writes a finished run of hosts × steps into the
// suite's journal directory and returns its id.
func writeLargeJournal(t *testing.T, hosts, steps int) string {
	t.Helper()
	id := "20261202-000000-" + randomHex(t, 3)
	if err := os.MkdirAll(journalDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(journalDir(), id+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	t0 := time.Now().Add(-time.Hour)
	names := make([]string, hosts)
	for h := range names {
		names[h] = fmt.Sprintf("web%04d", h+1)
	}
	emit := func(v map[string]any) {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	emit(map[string]any{"time": t0, "kind": "run.start", "run_id": id, "runbook": "large", "hosts": names})
	for h, name := range names {
		at := t0.Add(time.Duration(h) * 20 * time.Millisecond)
		emit(map[string]any{"time": at, "kind": "host.start", "stage": "roll", "host": name})
		for s := 0; s < steps; s++ {
			step := fmt.Sprintf("step %d", s+1)
			emit(map[string]any{"time": at, "kind": "step.start", "stage": "roll", "host": name, "step": step})
			emit(map[string]any{"time": at, "kind": "step.output", "stage": "roll", "host": name, "step": step, "line": "done " + step})
			at = at.Add(100 * time.Millisecond)
			emit(map[string]any{"time": at, "kind": "step.end", "stage": "roll", "host": name, "step": step, "result": "ok", "duration": 100 * time.Millisecond})
		}
		emit(map[string]any{"time": at, "kind": "host.end", "stage": "roll", "host": name, "result": "ok"})
	}
	emit(map[string]any{"time": t0.Add(time.Minute), "kind": "run.end", "result": "ok", "code": 0})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return id
}
