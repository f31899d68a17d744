package journal

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

// Transcripts writes one plain-text transcript per host into a directory
// (--log-dir): every step, every output line and every result of that host.
// It is an event.Sink, safe for concurrent use; Close flushes every file.
//
// A line longer than the 64 KiB an event carries comes as its event (the
// start of the line, ending with a cut marker) followed by Spill calls with
// the rest, written as lines starting "|+ ": every byte the host printed is
// in the transcript.
type Transcripts struct {
	mu    sync.Mutex
	dir   string
	files map[string]*transcript
	err   error
}

type transcript struct {
	f *os.File
	w *bufio.Writer
}

var _ event.Sink = (*Transcripts)(nil)

// NewTranscripts writes transcripts into dir, creating it.
func NewTranscripts(dir string) (*Transcripts, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	return &Transcripts{dir: dir, files: map[string]*transcript{}}, nil
}

// Emit implements event.Sink.
func (t *Transcripts) Emit(e event.Event) error {
	if e.Host == "" {
		return nil
	}
	line := transcriptLine(e)
	if line == "" {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	f, err := t.file(e.Host)
	if err != nil {
		t.err = err
		return err
	}
	if _, err := fmt.Fprintf(f.w, "%s %s\n", e.Time.Format("15:04:05.000"), line); err != nil {
		t.err = fmt.Errorf("write transcript of %s: %w", e.Host, err)
	}
	return t.err
}

// Spill writes part, the continuation of host's last output line, to its
// transcript (see engine.Options.Spill).
func (t *Transcripts) Spill(host, step, part string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return
	}
	f, err := t.file(host)
	if err != nil {
		t.err = err
		return
	}
	if _, err := fmt.Fprintf(f.w, "%s |+ %s\n", time.Now().Format("15:04:05.000"), part); err != nil {
		t.err = fmt.Errorf("write transcript of %s: %w", host, err)
	}
}

func (t *Transcripts) file(host string) (*transcript, error) {
	if f := t.files[host]; f != nil {
		return f, nil
	}
	name := strings.NewReplacer("/", "_", string(os.PathSeparator), "_").Replace(host) + ".log"
	f, err := os.OpenFile(filepath.Join(t.dir, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open transcript: %w", err)
	}
	tr := &transcript{f: f, w: bufio.NewWriterSize(f, 64*1024)}
	t.files[host] = tr
	return tr, nil
}

func transcriptLine(e event.Event) string {
	switch e.Kind {
	case event.HostStart:
		return "== stage " + e.Stage
	case event.StepStart:
		return "-- step " + e.Step
	case event.StepOutput:
		return "| " + e.Line
	case event.StepEnd:
		s := fmt.Sprintf("-- %s %s", e.Step, e.Result)
		if e.Exit != nil {
			s += fmt.Sprintf(" exit %d", *e.Exit)
		}
		if e.Error != "" {
			s += ": " + e.Error
		}
		return s
	case event.HostEnd, event.HostConnect:
		if e.Error != "" {
			return fmt.Sprintf("== %s: %s", e.Result, e.Error)
		}
		return fmt.Sprintf("== %s", e.Result)
	case event.GateAnswer:
		return "?? answered " + e.Answer
	}
	return ""
}

// Close flushes and closes every transcript.
func (t *Transcripts) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var first error
	for _, f := range t.files {
		if err := f.w.Flush(); err != nil && first == nil {
			first = err
		}
		if err := f.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
