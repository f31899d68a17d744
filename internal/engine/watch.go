package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/shell"
)

// watch follows a log file in a PTY (tail -F, so rotation is followed)
// until until matches (ok), fail_on matches or the timeout passes (failed).
// It starts at the size the file had before the previous step ran (see
// markWatch), so it sees every line that step wrote and none older: an old
// "listening" line cannot make a new start look good.
func (hr *hostRun) watch(ctx context.Context, st plan.Step) outcome {
	from, ok := hr.watchFrom[hr.idx]
	if !ok {
		from = hr.fileSize(ctx, st.Arg)
	}
	if from.err != nil {
		return failed(fmt.Errorf("watch %s: %w", st.Arg, from.err))
	}
	cmd := fmt.Sprintf("exec tail -c +%d -F %s", from.n+1, shell.Quote(st.Arg))
	until, err := hr.converse(ctx, ptyOpts{cmd: cmd, until: st.Until, failOn: st.FailOn,
		timeout: st.Timeout, step: st.Name})
	switch {
	case until:
		return okOutcome
	case err == nil:
		return failed(fmt.Errorf("watch %s: tail ended", st.Arg))
	}
	return failed(fmt.Errorf("watch %s: %w", st.Arg, err))
}

// markWatch, before step idx runs, records the size of the file the next
// step watches, so that the watch starts where this step began.
func (hr *hostRun) markWatch(ctx context.Context, steps []plan.Step, idx int) {
	if idx+1 >= len(steps) || steps[idx+1].Kind != plan.KindWatch || hr.connErr() != nil {
		return
	}
	if hr.watchFrom == nil {
		hr.watchFrom = map[int]logSize{}
	}
	hr.watchFrom[idx+2] = hr.fileSize(ctx, steps[idx+1].Arg)
}

// logSize is the size of a watched log, or why it could not be read.
type logSize struct {
	n   int64
	err error
}

// fileSize returns the size of path on the host; 0 when it does not exist.
// The read has the host deadline (Options.HostTimeout): a FIFO or a hung
// mount must not hold the host for ever.
func (hr *hostRun) fileSize(ctx context.Context, path string) logSize {
	var mu sync.Mutex
	var out string
	cmd := fmt.Sprintf("wc -c 2>/dev/null < %s || echo 0", shell.Quote(path))
	d := hr.s.r.hostTimeout()
	err := hr.command(ctx, cmd, commandOpts{timeout: d, line: func(l string) {
		mu.Lock()
		defer mu.Unlock()
		out = strings.TrimSpace(l)
	}})
	if err != nil {
		return logSize{err: fmt.Errorf("read its size: %w", err)}
	}
	mu.Lock()
	defer mu.Unlock()
	n, err := strconv.ParseInt(out, 10, 64)
	if err != nil {
		return logSize{err: fmt.Errorf("read its size: %q is not a size", out)}
	}
	return logSize{n: n}
}
