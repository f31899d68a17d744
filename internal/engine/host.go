package engine

import (
	"time"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/transport"
)

// hostState is what the run knows about one host. It is guarded by
// runner.mu.
type hostState struct {
	name   string
	host   inventory.Host
	conn   transport.Conn // nil when pre-flight could not connect
	out    bool           // dropped out: no later stage runs on it
	stage  string         // last stage it was in
	result event.Result
	note   string
	dur    time.Duration
	stages int // stages completed (ok, resumed or skipped at a stage gate)
}

// record sets how the host ended a stage. A host that did not end ok
// drops out of later stages.
func (r *runner) record(host, stage string, res event.Result, note string, dur time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.hosts[host]
	h.stage, h.result, h.note = stage, res, note
	h.dur += dur
	if res != event.OK {
		h.out = true
		return
	}
	h.stages++
}

// markUnfinished gives every host still in the run that did not complete
// every stage the result of the run's stop: aborted or interrupted.
func (r *runner) markUnfinished(interrupted bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := event.Aborted
	if interrupted {
		res = event.Interrupted
	}
	for _, h := range r.hosts {
		if h.out || h.stages >= len(r.plan.Stages) {
			continue
		}
		h.stage, h.result = r.plan.Stages[h.stages].Name, res
		h.note = "did not run stage " + h.stage
	}
}

// alive returns, in plan order, the hosts that may run another stage.
func (r *runner) alive() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for _, h := range r.plan.Hosts {
		if !r.hosts[h.Name].out {
			names = append(names, h.Name)
		}
	}
	return names
}

func (r *runner) state(host string) *hostState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hosts[host]
}

// lastStage is the last stage host was recorded in.
func (r *runner) lastStage(host string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hosts[host].stage
}

// doneBefore reports whether an earlier run completed stage on host.
func (r *runner) doneBefore(host, stage string) bool {
	for _, s := range r.opts.Done[host] {
		if s == stage {
			return true
		}
	}
	return false
}
