package rollout

import (
	"os"
	"runtime/debug"
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

// budgetMemory sets the soft memory limit for a command of hosts, unless
// GOMEMLIMIT says otherwise.
func budgetMemory(hosts int) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetMemoryLimit(memoryBase + int64(hosts)*memoryPerHost)
}
