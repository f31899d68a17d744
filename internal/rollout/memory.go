package rollout

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// memoryBase and memoryPerHost make drover's soft memory limit for a
// command of n hosts. Each connected host holds about 40 KB (its
// connection's buffers and ciphers, the stacks of the five goroutines that
// serve it); the collector runs at GOGC=200 (see cli.Main), which saves CPU on handshake
// garbage but lets the heap grow to three times what is live: 120 MB on a
// farm of 1,000. Under the limit it collects sooner as the heap nears it,
// so a large farm peaks near its live size, and a small one is not
// affected. The base leaves room for the journal, the board and output.
const (
	memoryBase    = 48 << 20
	memoryPerHost = 48 << 10
)

// A run may hold more than the connections: the hosts' output that exec
// folds, the listings of a delta upload. Once what is live passes half the
// limit, the collector would run again after every few megabytes, up to
// half the CPU (measured: 2 MB of output from each of 50 hosts took 24 s
// of CPU instead of 6). So after each collection the limit is raised to
// liveHeadroom times what is live, when that is more: the heap then grows
// as it would at GOGC=100.
const liveHeadroom = 2

// budgetMemory sets the soft memory limit for a command of hosts, unless
// GOMEMLIMIT says otherwise, and keeps it above what the run holds (see
// liveHeadroom).
func budgetMemory(hosts int) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetMemoryLimit(memoryBase + int64(hosts)*memoryPerHost)
	followLive.Do(func() { afterGC(raiseLimit) })
}

var followLive sync.Once

// raiseLimit raises the soft memory limit to liveHeadroom times the heap
// the last collection found live, when that is above it.
func raiseLimit() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	want := int64(s[0].Value.Uint64()) * liveHeadroom
	if want > debug.SetMemoryLimit(-1) {
		debug.SetMemoryLimit(want)
	}
}

// afterGC calls f after every garbage collection from now on: a
// finalizer runs once the collection that found its object unreachable
// is done, and arms the next.
func afterGC(f func()) {
	runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
		f()
		afterGC(f)
	})
}

// gcSentinel is the object afterGC watches. At 16 bytes it gets a block
// of its own: a smaller one could share a block with a live object, and
// then its finalizer would never run.
type gcSentinel struct{ _ [16]byte }
