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
// DROVER_HOSTS (the stage's hosts, space-separated), per host DROVER_HOST,
// DROVER_ADDR and DROVER_USER, and the secrets of its EnvSecrets; never a
// variable a declared secret is read from.
func (hr *hostRun) local(ctx context.Context, st plan.Step) outcome {
	if !st.Once {
		return hr.runLocal(ctx, st, true)
	}
	return hr.s.onceFor(hr.idx, hr.undo).run(func() outcome { return hr.runLocal(ctx, st, false) })
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

// localEnv is the whole environment of a local step: the control machine's,
// without any variable a secret is read from, then drover's own variables and
// the secrets the step names.
func (hr *hostRun) localEnv(ctx context.Context, st plan.Step, perHost bool) ([]string, error) {
	env := withoutSecrets(os.Environ(), hr.s.r.plan.Secrets)
	env = append(env,
		"DROVER_RUN_ID="+hr.s.r.opts.RunID,
		"DROVER_STAGE="+hr.s.st.Name,
		"DROVER_HOSTS="+strings.Join(hr.s.hosts, " "),
	)
	if perHost {
		ep := hr.h.host.Endpoint
		env = append(env, "DROVER_HOST="+hr.h.name, "DROVER_ADDR="+ep.Host, "DROVER_USER="+ep.User)
	}
	for _, name := range st.EnvSecrets {
		v, err := hr.secret(ctx, name)
		if err != nil {
			return nil, err
		}
		env = append(env, SecretEnvName(name)+"="+v)
	}
	return env, nil
}

// withoutSecrets returns environ without the variables secrets are read
// from, so that a local command never sees a secret it did not ask for.
func withoutSecrets(environ []string, secrets map[string]plan.Secret) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !isSecretSource(name, secrets) {
			out = append(out, kv)
		}
	}
	return out
}

func isSecretSource(name string, secrets map[string]plan.Secret) bool {
	if strings.HasPrefix(name, secretEnvPrefix) {
		return true
	}
	for _, s := range secrets {
		if s.Env != "" && s.Env == name {
			return true
		}
	}
	return false
}

const secretEnvPrefix = "DROVER_SECRET_"

// SecretEnvName is the variable a local step with env_secrets = [name]
// finds the secret in: DROVER_SECRET_ and the name in upper case, every
// byte other than a letter or digit turned into _.
func SecretEnvName(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			b[i] = '_'
		}
	}
	return secretEnvPrefix + string(b)
}

// runLocal runs the command with the step's timeout, its output emitted as
// the step's output.
func (hr *hostRun) runLocal(ctx context.Context, st plan.Step, perHost bool) outcome {
	env, err := hr.localEnv(ctx, st, perHost)
	if err != nil {
		return failed(err)
	}
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
	err = run(ctx, st.Arg, env, &lockedWriter{w: c})
	c.flush()
	if ctx.Err() != nil && err != nil {
		return failed(context.Cause(ctx))
	}
	return commandOutcome(err, st.OkExit)
}

// ShellLocal is the default LocalFunc: sh -c cmd with env as its whole
// environment, interrupted with SIGINT when ctx is cancelled (killed 5 s
// later).
func ShellLocal(ctx context.Context, cmd string, env []string, out io.Writer) error {
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Env = env
	c.Stdout, c.Stderr = out, out
	c.Cancel = func() error { return c.Process.Signal(syscall.SIGINT) }
	c.WaitDelay = 5 * time.Second
	return c.Run()
}
