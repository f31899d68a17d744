package ui

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/journal"
)

// serial is the engine's emitter in small: it hands events to a sink one
// at a time, as the engine does.
type serial struct {
	mu   sync.Mutex
	sink event.Sink
}

func (s *serial) emit(e event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sink.Emit(e)
}

// flood runs hosts hosts in parallel, each printing lines output lines,
// through a live board on out with -v and --log-dir transcripts in dir.
func flood(tb testing.TB, out io.Writer, dir string, hosts, lines int) {
	tr, err := journal.NewTranscripts(dir)
	if err != nil {
		tb.Fatal(err)
	}
	names := make([]string, hosts)
	for i := range names {
		names[i] = fmt.Sprintf("web%03d", i+1)
	}
	b := NewBoard(BoardOptions{Out: out, Style: NewStyle(out, true), Hosts: names, Verbose: true,
		Size: func() (int, int) { return 120, 40 }})
	em := &serial{sink: event.Multi{tr, b}}
	em.emit(event.Event{Time: time.Now(), Kind: event.StageStart, Stage: "flood", Hosts: names})
	var wg sync.WaitGroup
	for _, h := range names {
		wg.Go(func() {
			em.emit(event.Event{Time: time.Now(), Kind: event.HostStart, Stage: "flood", Host: h})
			em.emit(event.Event{Time: time.Now(), Kind: event.StepStart, Stage: "flood", Host: h, Step: "print", StepIndex: 1})
			for i := range lines {
				em.emit(event.Event{Time: time.Now(), Kind: event.StepOutput, Host: h, Step: "print",
					Line: fmt.Sprintf("%s line %d of a step that talks a lot", h, i)})
			}
			em.emit(event.Event{Time: time.Now(), Kind: event.HostEnd, Stage: "flood", Host: h, Result: event.OK})
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := tr.Close(); err != nil {
		tb.Fatal(err)
	}
}

// TestBoardLosesNoTranscriptLine floods a verbose board and checks that
// every host's --log-dir transcript has every line, in order.
func TestBoardLosesNoTranscriptLine(t *testing.T) {
	const hosts, lines = 50, 400
	dir := t.TempDir()
	var screen countingWriter
	flood(t, &screen, dir, hosts, lines)
	for i := range hosts {
		h := fmt.Sprintf("web%03d", i+1)
		f, err := os.Open(filepath.Join(dir, h+".log"))
		if err != nil {
			t.Fatal(err)
		}
		next := 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if strings.HasSuffix(sc.Text(), fmt.Sprintf("| %s line %d of a step that talks a lot", h, next)) {
				next++
			}
		}
		f.Close()
		if next != lines {
			t.Errorf("%s: transcript has %d of %d lines in order", h, next, lines)
		}
	}
	if want := hosts * lines; screen.lines < want {
		t.Errorf("the screen got %d lines, want at least %d", screen.lines, want)
	}
}

// countingWriter counts the lines written to it.
type countingWriter struct {
	mu    sync.Mutex
	lines int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines += strings.Count(string(p), "\n")
	return len(p), nil
}

// BenchmarkBoardVerbose: 200 hosts with -v, each printing 10,000 lines,
// through the board and --log-dir transcripts. It reports the lines per
// second the board keeps up with and the process's peak RSS (target: under
// 100 MB).
func BenchmarkBoardVerbose(b *testing.B) {
	const hosts, lines = 200, 10000
	var screen countingWriter
	b.ReportAllocs()
	start := time.Now()
	for range b.N {
		flood(b, &screen, b.TempDir(), hosts, lines)
	}
	took := time.Since(start)
	b.ReportMetric(float64(hosts*lines*b.N)/took.Seconds(), "lines/s")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MB") // Maxrss is in KiB on Linux
	}
}
