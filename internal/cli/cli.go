// Package cli is drover's command line: flags, subcommands, exit codes,
// signals and the wiring of the other packages. It is the only package that
// reads os.Args or drover's settings from the environment (beside it, the
// engine hands its environment on to local steps, and rollout defers to
// the Go runtime's GOMEMLIMIT), and the only one that prints user-facing
// errors. Each command parses its flags, builds the inputs of
// one domain call (rollout, release, target, sandbox, journal), makes it
// and renders the result with package ui.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/runbook"
)

const exitCodesHelp = `Exit codes:
  0    every targeted host finished every stage
  1    the run finished or stopped with failed hosts (a step failed, a host
       was lost or unreachable, max_fail was exceeded)
  2    nothing ran: bad usage, invalid runbook or inventory, unknown or
       changed host key in pre-flight, gates without a terminal and without
       --yes, hosts missing the release or disagreeing about previous
  3    the operator aborted at a confirmation gate
  4    the farm is locked by another run
  130  interrupted (SIGINT, SIGTERM or SIGHUP); remote commands were
       interrupted, the journal is complete`

// Main runs drover with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if _, set := os.LookupEnv("GOGC"); !set {
		// Handshakes allocate a lot of short-lived garbage; collecting half
		// as often saves about a sixth of the client CPU for a farm, for a
		// megabyte or so of memory.
		debug.SetGCPercent(200)
	}
	ctx, stop := signalContext(stderr)
	defer stop()
	env := newEnv(stdin, stdout, stderr)
	root := newRootCmd(env)
	root.SetArgs(args)
	return report(stderr, executeRoot(ctx, root))
}

// executeRoot runs the command. A panic of this goroutine is an error too:
// the deferred releases (farm locks, connections) have run by the time it
// is recovered here.
func executeRoot(ctx context.Context, root *cobra.Command) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = failure(&engine.PanicError{Value: v, Stack: debug.Stack()})
		}
	}()
	return root.ExecuteContext(ctx)
}

// report prints err as the user sees it and returns the exit code for it.
func report(stderr io.Writer, err error) int {
	code := exitCode(err)
	var diags runbook.Diagnostics
	switch {
	case err == nil || errors.Is(err, errSilent):
	case errors.As(err, &diags):
		for _, d := range diags {
			fmt.Fprintln(stderr, d.String())
		}
	case code == exitInterrupted && err.Error() == context.Canceled.Error():
		fmt.Fprintln(stderr, "drover: interrupted") // a signal says it all; "context canceled" would not
	default:
		fmt.Fprintf(stderr, "drover: error: %s\n", err)
		for _, h := range hints(err) {
			fmt.Fprintf(stderr, "drover: hint: %s\n", h)
		}
		var pe *engine.PanicError
		if errors.As(err, &pe) {
			fmt.Fprintf(stderr, "drover: hint: this is a bug in drover; please report it with this stack:\n%s", pe.Stack)
		}
	}
	return code
}

// signalError is the cause of a command ended by a signal: what a step,
// a gate or a pre-flight that it stopped reports. It is a
// context.Canceled, as the exit code wants.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string {
	if s, ok := e.sig.(syscall.Signal); ok {
		return "interrupted by " + signalName(s)
	}
	return "interrupted"
}

func (signalError) Is(target error) bool { return target == context.Canceled }

// signalName is SIGINT, SIGTERM or SIGHUP.
func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// signalContext returns a context cancelled by the first SIGINT, SIGTERM or
// SIGHUP.
// A second signal exits at once.
func signalContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	// A lost terminal (SIGHUP) stops a run the same careful way: no new
	// work, remote commands interrupted, the lock released.
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	// A reader of stdout that goes away (drover run ... | head) must not
	// kill a rollout halfway with the farm locked: writes fail instead.
	signal.Ignore(syscall.SIGPIPE)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			cancel(signalError{sig})
		case <-done:
			return
		}
		select {
		case <-ch:
			fmt.Fprintln(stderr, "drover: interrupted twice, exiting now")
			os.Exit(exitCode(&InterruptedError{outcome{errors.New("interrupted twice")}}))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

func newRootCmd(env *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "drover",
		Short:         "Expect-style parallel SSH runbooks",
		Long:          "drover runs runbooks and ad-hoc commands across a farm of hosts over SSH,\nbatch by batch, answering prompts and stopping at gates.\n\n" + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	v, c := buildVersion()
	root.Version = v
	root.SetVersionTemplate(versionLine(v, c))
	root.SetIn(env.stdin)
	root.SetOut(env.stdout)
	root.SetErr(env.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.AddCommand(newRunCmd(env), newPlanCmd(env), newCheckCmd(env), newExecCmd(env),
		newLogCmd(env), newReleasesCmd(env), newDemoCmd(env), newSwitchrelCmd(env), newPatchCmd(env), newUnlockCmd(env), newHostsCmd(env), newSandboxCmd(env), newVersionCmd(env),
		newDisconnectCmd(env), newKeeperCmd())
	registerCompletions(root, env)
	return root
}
