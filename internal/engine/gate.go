package engine

import (
	"context"
	"sync/atomic"

	"github.com/drover-sh/drover/internal/event"
)

// Gate answers the questions of a run. The engine calls Ask one question at
// a time (never concurrently), so an implementation may own the terminal
// while it asks. Ask returns when ctx is cancelled with ctx's error. The
// terminal implementation lives in package ui; AlwaysYes is --yes.
type Gate interface {
	Ask(ctx context.Context, q Question) (Answer, error)
}

// QuestionKind says where a question comes from.
type QuestionKind string

const (
	AskStage   QuestionKind = "stage"   // before a stage starts (gate = "stage")
	AskBatch   QuestionKind = "batch"   // before each batch (gate = "batch")
	AskHost    QuestionKind = "host"    // before each host (gate = "host")
	AskConfirm QuestionKind = "confirm" // a confirm step inside a host's pipeline
	AskUndo    QuestionKind = "undo"    // before the undo steps of an aborted stage
	AskRetry   QuestionKind = "retry"   // after a failed step, when OfferRetry is set
)

// Question is one thing a person is asked.
type Question struct {
	Kind    QuestionKind
	Stage   string
	Batch   int      // 1-based, for batch questions and within a batch
	Batches int      // batches in the stage
	Hosts   []string // the hosts the answer applies to (stage, batch, undo)
	Host    string   // the host, for host, confirm and retry questions
	Text    string   // the confirm text, or what is about to happen
	Tail    []string // last output lines of the host (confirm, retry)
	Waiting int      // questions queued behind this one
	Err     string   // the failure, for retry questions
}

// Answer is a person's decision at a gate.
type Answer int

const (
	Yes   Answer = iota // go on
	No                  // skip: this host, this batch or this stage; for retry: accept the failure
	All                 // yes to every remaining gate of this stage
	Retry               // run the failed step again
	Quit                // abort the run (the CLI exits 3)
)

// String is the answer's key: y, n, a, r or q.
func (a Answer) String() string {
	switch a {
	case Yes:
		return "y"
	case No:
		return "n"
	case All:
		return "a"
	case Retry:
		return "r"
	case Quit:
		return "q"
	}
	return "?"
}

// AlwaysYes is the Gate of --yes: it answers Yes to every question.
var AlwaysYes Gate = alwaysYes{}

type alwaysYes struct{}

func (alwaysYes) Ask(context.Context, Question) (Answer, error) { return Yes, nil }

// gateKeeper serialises questions and reports them as events.
type gateKeeper struct {
	gate    Gate
	em      *emitter
	turn    chan struct{} // holds one token while a question is asked
	waiting atomic.Int32
}

func newGateKeeper(g Gate, em *emitter) *gateKeeper {
	if g == nil {
		g = AlwaysYes
	}
	return &gateKeeper{gate: g, em: em, turn: make(chan struct{}, 1)}
}

// ask puts q to the gate when it is free. A gate error (e.g. the terminal
// went away) or a cancelled ctx answers Quit; the error is kept in the
// gate.answer event.
func (g *gateKeeper) ask(ctx context.Context, q Question) Answer {
	g.waiting.Add(1)
	select {
	case g.turn <- struct{}{}:
		g.waiting.Add(-1)
	case <-ctx.Done():
		g.waiting.Add(-1)
		return Quit
	}
	defer func() { <-g.turn }()
	q.Waiting = int(g.waiting.Load())
	q.Text, q.Err = g.em.clean(q.Text), g.em.clean(q.Err)
	for i, l := range q.Tail {
		q.Tail[i] = g.em.clean(l)
	}
	g.em.emit(event.Event{Kind: event.GateAsk, Stage: q.Stage, Batch: q.Batch, Batches: q.Batches,
		Host: q.Host, Hosts: q.Hosts, Text: string(q.Kind) + ": " + q.Text})
	a, err := g.put(ctx, q)
	e := event.Event{Kind: event.GateAnswer, Stage: q.Stage, Batch: q.Batch, Batches: q.Batches, Host: q.Host, Text: string(q.Kind)}
	if err != nil {
		a, e.Error = Quit, err.Error()
	}
	e.Answer = a.String()
	g.em.emit(e)
	return a
}

// put asks the gate; a panic of the gate is a run-wide failure and
// answers Quit.
func (g *gateKeeper) put(ctx context.Context, q Question) (a Answer, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
			g.em.fail(err)
		}
	}()
	return g.gate.Ask(ctx, q)
}
