// Package event defines what the engine and the commands report while they
// work, and the Sink that receives it. It renders nothing and stores
// nothing: the terminal, JSON and journal sinks live elsewhere.
//
// An Event never carries a secret value: producers redact output lines
// before they emit them.
package event

import (
	"errors"
	"time"
)

// Kind names what happened.
type Kind string

const (
	RunStart    Kind = "run.start"    // Runbook, Text (runbook file), User, Params, Hosts
	RunEnd      Kind = "run.end"      // Result, Code
	StageStart  Kind = "stage.start"  // Stage, Hosts
	StageEnd    Kind = "stage.end"    // Stage, Result
	BatchStart  Kind = "batch.start"  // Stage, Batch, Batches, Hosts
	BatchEnd    Kind = "batch.end"    // Stage, Batch, Batches
	HostStart   Kind = "host.start"   // Stage, Host
	HostEnd     Kind = "host.end"     // Stage, Host, Result, Error
	StepStart   Kind = "step.start"   // Stage, Host, Step, StepIndex
	StepOutput  Kind = "step.output"  // Stage, Host, Step, Line
	StepEnd     Kind = "step.end"     // Stage, Host, Step, Result, Exit, Error
	GateAsk     Kind = "gate.ask"     // Stage, Batch, Host, Text
	GateAnswer  Kind = "gate.answer"  // Stage, Batch, Host, Answer
	UndoStart   Kind = "undo.start"   // Stage, Hosts
	HostConnect Kind = "host.connect" // Host, Result, Error (pre-flight)
	// HostSummary is a host's row of the summary a run showed at its end,
	// journalled just before run.end so drover log shows the same table.
	HostSummary Kind = "host.summary" // Host, Stage, Result, Duration, Text (the note)
	Note        Kind = "note"         // Text: something worth a line, e.g. "lock taken"
)

// Result is how a step, host, stage or run ended.
type Result string

const (
	OK          Result = "ok"
	Failed      Result = "failed"
	Skipped     Result = "skipped"
	Aborted     Result = "aborted"
	Interrupted Result = "interrupted"
	Unreachable Result = "unreachable"
	// Refused ends a run that stopped before its first step (a check
	// refused it, another run held the farm lock, a host could not be
	// read): it changed nothing, so there is nothing in it to resume.
	Refused Result = "refused"
)

// Event is one thing that happened during a run. Fields that do not apply to
// a Kind are left zero (and omitted from JSON).
type Event struct {
	Time      time.Time         `json:"time"`
	Kind      Kind              `json:"kind"`
	RunID     string            `json:"run_id,omitempty"`
	Runbook   string            `json:"runbook,omitempty"`
	Stage     string            `json:"stage,omitempty"`
	Batch     int               `json:"batch,omitempty"`   // 1-based
	Batches   int               `json:"batches,omitempty"` // number of batches in the stage
	Host      string            `json:"host,omitempty"`
	Hosts     []string          `json:"hosts,omitempty"`
	Step      string            `json:"step,omitempty"`
	StepIndex int               `json:"step_index,omitempty"` // 1-based
	Undo      bool              `json:"undo,omitempty"`       // the step is an undo step
	Line      string            `json:"line,omitempty"`
	Text      string            `json:"text,omitempty"`
	Answer    string            `json:"answer,omitempty"`
	Result    Result            `json:"result,omitempty"`
	Exit      *int              `json:"exit,omitempty"`
	Error     string            `json:"error,omitempty"`
	Duration  time.Duration     `json:"duration,omitempty"`
	Params    map[string]string `json:"params,omitempty"`
	Code      int               `json:"code,omitempty"` // RunEnd: the exit code
	User      string            `json:"user,omitempty"` // RunStart: who ran it
}

// Sink receives events. Implementations are safe for concurrent use. An
// error from Emit is run-wide (e.g. the journal cannot be written) and stops
// the run.
type Sink interface {
	Emit(e Event) error
}

// Multi sends every event to each sink in order and joins their errors.
type Multi []Sink

// Emit implements Sink.
func (m Multi) Emit(e Event) error {
	var errs []error
	for _, s := range m {
		if err := s.Emit(e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Discard is a Sink that drops every event.
var Discard Sink = discard{}

type discard struct{}

func (discard) Emit(Event) error { return nil }
