// Package journal keeps the record of every run: one JSON line per event in
// DIR/<run-id>.jsonl, where DIR is normally $XDG_STATE_HOME/drover/runs. It
// writes events (as an event.Sink), lists past runs and reads one back for
// `drover log` and `drover run --resume`.
//
// It stores what it is given: events carry no secret values, so neither does
// the journal. It does not render anything.
package journal

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/event"
)

// Journal appends the events of one run to its file. It is an event.Sink and
// safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer // holds output lines only, between Emits (see Emit)
	path string
	err  error // first write error; every later Emit returns it
}

var _ event.Sink = (*Journal)(nil)

// Create starts the journal of run id in dir, creating dir as needed. The
// file must not exist yet.
func Create(dir, id string) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create journal directory: %w", err)
	}
	path := filepath.Join(dir, id+".jsonl")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	return &Journal{f: f, w: bufio.NewWriterSize(f, 64<<10), path: path}, nil
}

// Append reopens the journal of an existing run (for --resume). A last line
// that a killed run left half written is cut away first (see heal), so the
// events appended now and every whole event before them stay readable.
func Append(dir, id string) (*Journal, error) {
	path := filepath.Join(dir, id+".jsonl")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if err := heal(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("repair journal %s: %w", path, err)
	}
	return &Journal{f: f, w: bufio.NewWriterSize(f, 64<<10), path: path}, nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Emit appends e as one JSON line. Every event but an output line is
// handed to the system (write(2)) before Emit returns, so a killed drover
// loses no step, host or answer it has reported (`drover log` and resume
// rely on them). Output lines, the commonest by far, wait in a buffer that
// the next other event of any host and Close write out first, so the file
// keeps the order of the calls. Batch, stage and run boundaries are also
// synced to disk, so a machine crash loses at most the lines of the batch
// in progress.
func (j *Journal) Emit(e event.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b, err := encode(e)
	if err != nil {
		return j.fail(fmt.Errorf("encode journal event: %w", err))
	}
	if _, err := j.w.Write(b); err != nil {
		return j.fail(fmt.Errorf("write journal %s: %w", j.path, err))
	}
	switch {
	case syncs(e.Kind):
		return j.syncLocked()
	case e.Kind != event.StepOutput:
		return j.flushLocked()
	}
	return nil
}

// maxField bounds each free-text field of an event (an output line, an
// error) in a journal line that would be longer than maxLine: the field is
// cut with a marker, so every line the journal writes is one it reads back.
const maxField = 256 << 10

// encode writes e as one JSON line, cutting its text fields when the line
// would be too long to read back.
func encode(e event.Event) ([]byte, error) {
	if e.Kind == event.StepOutput {
		if b, ok := appendOutput(make([]byte, 0, 128+len(e.Line)), e); ok && len(b) < maxLine {
			return append(b, '\n'), nil
		}
	}
	b, err := json.Marshal(e)
	if err == nil && len(b) >= maxLine {
		e.Line, e.Text, e.Error, e.Answer = cutField(e.Line), cutField(e.Text), cutField(e.Error), cutField(e.Answer)
		b, err = json.Marshal(e)
	}
	return append(b, '\n'), err
}

func cutField(s string) string {
	if len(s) <= maxField {
		return s
	}
	return s[:maxField] + fmt.Sprintf(" [%d bytes cut]", len(s)-maxField)
}

// syncs reports whether an event of kind k marks a boundary worth a sync.
func syncs(k event.Kind) bool {
	switch k {
	case event.RunStart, event.RunEnd, event.StageEnd, event.BatchEnd, event.GateAnswer:
		return true
	}
	return false
}

// flushLocked hands the buffered lines to the system: a killed drover
// loses none of them, a crashed machine may.
func (j *Journal) flushLocked() error {
	if err := j.w.Flush(); err != nil {
		return j.fail(fmt.Errorf("write journal %s: %w", j.path, err))
	}
	return nil
}

func (j *Journal) syncLocked() error {
	if err := j.flushLocked(); err != nil {
		return err
	}
	if err := j.f.Sync(); err != nil {
		return j.fail(fmt.Errorf("sync journal %s: %w", j.path, err))
	}
	return nil
}

func (j *Journal) fail(err error) error {
	j.err = err
	return err
}

// Close flushes and closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.syncLocked()
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
