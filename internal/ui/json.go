package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// JSON writes every event as one JSON object per line: machine output only.
// It is an event.Sink, safe for concurrent use.
type JSON struct {
	mu  sync.Mutex
	enc *json.Encoder
}

var _ event.Sink = (*JSON)(nil)

// NewJSON returns a JSON-lines sink writing to w.
// JSON escaping keeps C0 controls off the terminal; SafeJSON adds DEL, C1
// controls and bidirectional characters, so the values stay exact.
func NewJSON(w io.Writer) *JSON { return &JSON{enc: json.NewEncoder(SafeJSON(w))} }

// Emit implements event.Sink.
func (j *JSON) Emit(e event.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.enc.Encode(e)
}

// hostJSON is exec's --json output: one object per host.
type hostJSON struct {
	Host   string `json:"host"`
	Exit   *int   `json:"exit,omitempty"`
	Output string `json:"output"`
	Error  string `json:"error,omitempty"`
}

// HostJSON writes exec's answers as one JSON object per host.
func HostJSON(w io.Writer, results []HostOutput) error {
	enc := json.NewEncoder(SafeJSON(w))
	for _, r := range results {
		h := hostJSON{Host: r.Host, Output: r.Output, Error: r.Err}
		if r.Err == "" {
			h.Exit = &r.Exit
		}
		if err := enc.Encode(h); err != nil {
			return fmt.Errorf("write the result of %s: %w", r.Host, err)
		}
	}
	return nil
}

// dryRunJSON is run --dry-run --json's one object: the plan's batches and
// how many hosts pre-flight reached.
type dryRunJSON struct {
	Kind      string         `json:"kind"`
	Runbook   string         `json:"runbook"`
	File      string         `json:"file"`
	Hosts     []string       `json:"hosts"`
	Connected int            `json:"connected"`
	Stages    []dryStageJSON `json:"stages"`
}

type dryStageJSON struct {
	Name        string     `json:"name"`
	Parallel    int        `json:"parallel"`
	MaxFail     string     `json:"max_fail"`
	Gate        string     `json:"gate"`
	UndoOnAbort bool       `json:"undo_on_abort,omitempty"`
	Batches     [][]string `json:"batches"`
}

// DryRunJSON writes what a dry run found as one JSON object of kind
// "dry_run": the hosts, how many pre-flight connected, and each stage's
// batches of host names.
func DryRunJSON(w io.Writer, pl *plan.Plan, connected int) error {
	names := hostNames(pl)
	out := dryRunJSON{Kind: "dry_run", Runbook: pl.Name, File: pl.File, Hosts: names, Connected: connected}
	for _, st := range pl.Stages {
		out.Stages = append(out.Stages, dryStageJSON{Name: st.Name, Parallel: st.Parallel, MaxFail: thresholdString(st.MaxFail),
			Gate: gateString(st.Gate), UndoOnAbort: st.UndoOnAbort, Batches: batchNames(st, names)})
	}
	return json.NewEncoder(SafeJSON(w)).Encode(out)
}

// releaseJSON is releases --json: one object per host.
type releaseJSON struct {
	Host     string   `json:"host"`
	Current  string   `json:"current"`
	Previous string   `json:"previous"`
	Releases []string `json:"releases"`
	Bad      []string `json:"bad"`
	Lock     string   `json:"lock,omitempty"`
	Drift    bool     `json:"drift"`
	Error    string   `json:"error,omitempty"`
}

// ReleasesJSON writes the releases of each host as one JSON object per
// line, in the rows' order.
func ReleasesJSON(w io.Writer, rows []ReleaseRow) error {
	enc := json.NewEncoder(SafeJSON(w))
	for _, r := range rows {
		out := releaseJSON{Host: r.Host, Current: r.Current, Previous: r.Previous,
			Releases: orEmpty(r.Available), Bad: orEmpty(r.Bad), Lock: r.Lock, Drift: r.Drift, Error: r.Error}
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("write the releases of %s: %w", r.Host, err)
		}
	}
	return nil
}

// orEmpty is s, or an empty list rather than null.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
