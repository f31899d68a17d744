package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/journal"
	"github.com/drover-sh/drover/internal/plan"
)

// TestHugeOutputIsBounded: a host printing 100 MB without a newline keeps
// drover's heap small; the events carry a line cut at 64 KiB with a
// marker, the journal stays readable, and the transcript gets every byte.
func TestHugeOutputIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 200 MB through SSH")
	}
	// Keepalives are slow here: the load of the test must not look like a
	// dead host.
	_, hosts, conns := startFarmKeepalive(t, 1, 5*time.Second)
	for _, tt := range []struct {
		name string
		size int // bytes printed without a newline
		step plan.Step
	}{
		{"plain", 100 << 20, plan.Step{Kind: plan.KindRun}},
		{"pty", 16 << 20, plan.Step{Kind: plan.KindRun, FailOn: regexp.MustCompile(`^never`), Timeout: time.Minute}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hugeLine := tt.size
			tt.step.Name = "big"
			tt.step.Arg = fmt.Sprintf("head -c %d /dev/zero | tr '\\0' q; echo; echo after", hugeLine)
			dir := t.TempDir()
			jr, err := journal.Create(dir, "r1")
			if err != nil {
				t.Fatal(err)
			}
			tr, err := journal.NewTranscripts(dir)
			if err != nil {
				t.Fatal(err)
			}
			var longest atomic.Int64
			rec := &recorder{on: func(e event.Event) {
				if n := int64(len(e.Line)); n > longest.Load() {
					longest.Store(n)
				}
			}}
			p := &plan.Plan{Name: "farm", Hosts: hosts, Stages: []plan.Stage{{Name: "s", Parallel: 1,
				Steps: map[string][]plan.Step{hosts[0].Name: {tt.step}}}}}
			peak := watchHeap(t)
			s, err := engine.Run(context.Background(), p, conns, engine.Options{
				Sink: event.Multi{jr, tr, rec}, Spill: tr.Spill})
			heap := peak()
			jr.Close()
			tr.Close()
			if err != nil || s.Hosts[0].Result != event.OK {
				t.Fatalf("Run = %+v, %v", s.Hosts, err)
			}
			t.Logf("peak heap in use %d MB", heap>>20)
			if heap > 40<<20 {
				t.Errorf("peak heap in use %d MB for a %d MB line, want it bounded", heap>>20, hugeLine>>20)
			}
			if n := longest.Load(); n > 64<<10+64 {
				t.Errorf("an event carried a line of %d bytes", n)
			}
			checkCutLine(t, rec)
			if _, err := journal.Read(dir, "r1"); err != nil {
				t.Errorf("read the journal back: %v", err)
			}
			if got := transcriptXs(t, filepath.Join(dir, hosts[0].Name+".log")); got != hugeLine {
				t.Errorf("transcript holds %d of the %d bytes", got, hugeLine)
			}
		})
	}
}

// checkCutLine checks that the step's output is the cut line, then "after".
func checkCutLine(t *testing.T, rec *recorder) {
	t.Helper()
	var lines []string
	for _, e := range rec.kinds(event.StepOutput) {
		lines = append(lines, e.Line)
	}
	if len(lines) < 2 || !strings.HasSuffix(lines[0], "[line cut at 64 KiB]") ||
		!strings.Contains(lines[len(lines)-1], "after") {
		short := make([]string, len(lines))
		for i, l := range lines {
			short[i] = fmt.Sprintf("%.40q… (%d bytes)", l, len(l))
		}
		t.Errorf("output lines = %v, want the cut line, then after", short)
	}
}

// transcriptXs counts the bytes of the host's line in its transcript: the
// "q" of the cut line and of its continuations.
func transcriptXs(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "q")
}

// watchHeap samples the heap in use until the returned func is called,
// which returns the peak.
func watchHeap(t *testing.T) func() uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak.Store(max(peak.Load(), m.HeapInuse))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		return peak.Load()
	}
}
