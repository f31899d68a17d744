package rollout

import (
	"os"
	"runtime"

	"github.com/drover-sh/drover/internal/plan"
)

// hostsPerThread is how many hosts in flight one thread of Go code serves.
// A host costs drover a few milliseconds of CPU over a run (the handshake,
// then a little for each step), spread over many round trips, so one
// thread keeps up with about a thousand handshakes a second. With more
// threads than the work needs, an idle one is woken for nearly every
// packet that makes a goroutine runnable, and goes back to sleep: on
// 1,000 hosts at 50 in flight, a second thread cost 8 to 11 % more CPU
// than one, for the same wall time within 3 %.
const hostsPerThread = 64

// budgetThreads sets how many threads run Go code (GOMAXPROCS) for pl,
// unless GOMAXPROCS says otherwise: one per hostsPerThread hosts in flight
// (pre-flight's or a stage's, whichever is more), at most the machine's
// CPUs. A run that moves files (an upload, a fetch, a tunnel) keeps every
// CPU: encrypting a tree for tens of hosts at once is real work.
func budgetThreads(pl *plan.Plan) {
	if _, set := os.LookupEnv("GOMAXPROCS"); set {
		return
	}
	runtime.GOMAXPROCS(threadsFor(pl, runtime.NumCPU()))
}

// threadsFor is budgetThreads' choice on a machine of cpus CPUs.
func threadsFor(pl *plan.Plan, cpus int) int {
	if len(pl.Tunnels) > 0 {
		return cpus
	}
	inFlight := min(preflightParallel, len(pl.Hosts))
	for _, st := range pl.Stages {
		if movesFiles(st.Steps) || movesFiles(st.Undo) {
			return cpus
		}
		inFlight = max(inFlight, min(st.Parallel, len(pl.Hosts)))
	}
	return max(1, min(cpus, (inFlight+hostsPerThread-1)/hostsPerThread))
}

// movesFiles reports whether any host's steps upload or fetch.
func movesFiles(steps map[string][]plan.Step) bool {
	for _, list := range steps {
		for _, step := range list {
			if step.Kind == plan.KindUpload || step.Kind == plan.KindFetch {
				return true
			}
		}
	}
	return false
}
