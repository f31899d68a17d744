package engine

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// onceResult is the shared result of a local step with once = true: the
// first host to reach the step runs it, the others wait for its outcome.
type onceResult struct {
	mu   sync.Mutex // held while the command runs: other hosts wait for it
	done bool
	o    outcome
}

// local runs a local step on the control machine: once per host, or once
// per stage with Once. The command sees DROVER_RUN_ID, DROVER_STAGE,
// DROVER_HOSTS (the stage's hosts, space-separated) and, per host,
// DROVER_HOST, DROVER_ADDR and DROVER_USER.
func (hr *hostRun) local(ctx context.Context, st plan.Step) outcome {
	if !st.Once {
		return hr.runLocal(ctx, st, hr.localEnv(true))
	}
	return hr.s.onceFor(hr.idx, hr.undo).run(func() outcome { return hr.runLocal(ctx, st, hr.localEnv(false)) })
}

// run runs fn for the first host that gets here and hands its outcome to
// every other host; a failed outcome is not kept, so a retry (by retries or
// the operator) runs the command again.
func (or *onceResult) run(fn func() outcome) outcome {
	or.mu.Lock()
	defer or.mu.Unlock()
	if or.done {
		return or.o
	}
	or.o = fn()
	or.done = or.o.result != event.Failed
	return or.o
}

// onceFor returns the shared result of the stage's step idx (an undo step
// when undo).
func (s *stageRun) onceFor(idx int, undo bool) *onceResult {
	if undo {
		idx = -idx
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.once[idx] == nil {
		s.once[idx] = &onceResult{}
	}
	return s.once[idx]
}

func (hr *hostRun) localEnv(perHost bool) []string {
	env := []string{
		"DROVER_RUN_ID=" + hr.s.r.opts.RunID,
		"DROVER_STAGE=" + hr.s.st.Name,
		"DROVER_HOSTS=" + strings.Join(hr.s.hosts, " "),
	}
	if perHost {
		ep := hr.h.host.Endpoint
		env = append(env, "DROVER_HOST="+hr.h.name, "DROVER_ADDR="+ep.Host, "DROVER_USER="+ep.User)
	}
	return env
}

// runLocal runs the command with the step's timeout, its output emitted as
// the step's output.
func (hr *hostRun) runLocal(ctx context.Context, st plan.Step, env []string) outcome {
	if st.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.Timeout)
		defer cancel()
	}
	run := hr.s.r.opts.Local
	if run == nil {
		run = ShellLocal
	}
	c := hr.cutter(commandOpts{step: st.Name})
	err := run(ctx, st.Arg, env, &lockedWriter{w: c})
	c.flush()
	if ctx.Err() != nil && err != nil {
		return failed(context.Cause(ctx))
	}
	return commandOutcome(err, st.OkExit)
}

// ShellLocal is the default LocalFunc: sh -c cmd, interrupted with SIGINT
// when ctx is cancelled (killed 5 s later).
func ShellLocal(ctx context.Context, cmd string, env []string, out io.Writer) error {
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Env = append(os.Environ(), env...)
	c.Stdout, c.Stderr = out, out
	c.Cancel = func() error { return c.Process.Signal(syscall.SIGINT) }
	c.WaitDelay = 5 * time.Second
	return c.Run()
}
