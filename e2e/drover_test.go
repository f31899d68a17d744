//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// droverTimeout bounds every drover run of the suite.
const droverTimeout = 90 * time.Second

// droverCmd runs bin/drover with the farm's inventory (`-i` right after the
// subcommand) and returns its stdout, stderr and exit code.
func droverCmd(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return droverRun(t, farm.Inventory(), args...)
}

// droverRun is droverCmd with another inventory.
func droverRun(t testing.TB, inventory string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	defer cancel()
	c := droverInventoryCommand(ctx, inventory, args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	code = exitStatus(t, c.Run())
	t.Logf("drover %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return out.String(), errb.String(), code
}

// droverCommand is the exec.Cmd for a drover run: the farm's inventory, a
// private HOME (no ~/.ssh/config of the machine) and journal, no colour.
func droverCommand(ctx context.Context, args ...string) *exec.Cmd {
	return droverInventoryCommand(ctx, farm.Inventory(), args...)
}

// droverInventoryCommand is droverCommand with another inventory.
func droverInventoryCommand(ctx context.Context, inventory string, args ...string) *exec.Cmd {
	full := args
	if len(args) > 0 {
		full = append([]string{args[0], "-i", inventory}, args[1:]...)
	}
	c := exec.CommandContext(ctx, droverBin, full...)
	c.Env = droverEnv()
	return c
}

// droverEnv is the environment of drover runs.
func droverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, "HOME="), strings.HasPrefix(kv, "XDG_STATE_HOME="),
			strings.HasPrefix(kv, "DROVER_"), strings.HasPrefix(kv, "SSH_AUTH_SOCK="):
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+farm.Home, "XDG_STATE_HOME="+farm.Home+"/state", "NO_COLOR=1")
}

// needDrover fails the test unless bin/drover runs and has the
// subcommand: a missing or broken build is a failure, never a green skip.
func needDrover(t testing.TB, sub string) {
	t.Helper()
	if _, err := os.Stat(droverBin); err != nil {
		t.Fatalf("no %s (run `make build`): %v", droverBin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, droverBin, sub, "--help").CombinedOutput(); err != nil {
		t.Fatalf("%s %s --help: %v\n%s", droverBin, sub, err, out)
	}
}

// skipUnlessCI skips the test for a developer whose machine lacks one of its
// real parts; under CI=true the same lack is a failure.
func skipUnlessCI(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI: "+format, args...)
	}
	t.Skipf(format, args...)
}
