package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/target"
)

// TestMain lets the scripts run drover as a command: the test binary runs
// Main when it is started under the name "drover".
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"drover": droverMain})
}

// statusFileEnv names the file where droverMain records its exit code, so
// that the exitcode command can check the exact code of the last drover.
const statusFileEnv = "DROVER_TEST_STATUS_FILE"

// panicAtSwitchEnv names a host whose switch panics in its goroutine.
const panicAtSwitchEnv = "DROVER_TEST_PANIC_AT_SWITCH"

func droverMain() {
	if host := os.Getenv(panicAtSwitchEnv); host != "" {
		beforeSwitch = func(h string) {
			if h == host {
				panic("injected panic at the switch of " + h)
			}
		}
	}
	code := Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	// The --persist keeper is a drover of its own that a command started;
	// its exit, whenever it comes, is not the exit code a script checks.
	keeper := len(os.Args) > 1 && os.Args[1] == target.KeeperCommand
	if path := os.Getenv(statusFileEnv); path != "" && !keeper {
		if err := os.WriteFile(path, []byte(strconv.Itoa(code)), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "record exit code: %v\n", err)
		}
	}
	os.Exit(code)
}

// farmKey is where Setup leaves the script's farm for the custom commands.
type farmKey struct{}

// defaultHosts is the farm of a script without a farm-hosts file.
const defaultHosts = 8

// TestScripts runs testdata/script/*.txtar: drover used as a person uses
// it, against an in-process SSH farm. UPDATE_GOLDEN=1 rewrites the cmp
// files inside the archives.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		Setup:               setupScript,
		Cmds:                scriptCmds,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") != "",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Condition:           scriptCondition,
	})
}

// scriptCondition knows [bashcompletion]: bash-completion is installed, or
// this is CI, where its absence must fail the script instead of skipping it.
func scriptCondition(cond string) (bool, error) {
	if cond == "bashcompletion" {
		_, err := os.Stat("/usr/share/bash-completion/bash_completion")
		return err == nil || os.Getenv("CI") == "true", nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// setupScript gives every script its own HOME and state directory and a
// running farm: $WORK/hosts/NAME is host NAME's HOME, $WORK/inventory.toml
// (also $DROVER_INVENTORY) and $WORK/known_hosts describe it. A file
// "farm-hosts" in the archive sets the number of hosts (0: no farm).
func setupScript(env *testscript.Env) error {
	work := env.WorkDir
	env.Setenv("HOME", filepath.Join(work, "home"))
	env.Setenv("XDG_STATE_HOME", filepath.Join(work, "state"))
	env.Setenv("NO_COLOR", "1")
	env.Setenv("DROVER_SYSTEM_SSH_CONFIG", "none")
	env.Setenv("DROVER_SUDO_PASSWORD", "")
	env.Setenv(statusFileEnv, filepath.Join(work, ".exitcode"))
	if err := os.MkdirAll(filepath.Join(work, "home"), 0o755); err != nil {
		return err
	}
	n, err := farmSize(work)
	if err != nil || n == 0 {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	farm, err := sshtest.Start(ctx, sshtest.Options{
		Names:     hostNames(n),
		Dir:       filepath.Join(work, "hosts"),
		KillDelay: 50 * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("start farm: %w", err)
	}
	env.Defer(func() { farm.Close() })
	env.Values[farmKey{}] = farm
	known, inv := filepath.Join(work, "known_hosts"), filepath.Join(work, "inventory.toml")
	if err := farm.KnownHosts(known); err != nil {
		return err
	}
	if err := farm.Inventory(inv, known); err != nil {
		return err
	}
	env.Setenv("DROVER_INVENTORY", inv)
	env.Setenv("HOSTS", farm.Dir)
	return nil
}

// farmSize reads the optional farm-hosts file of a script.
func farmSize(work string) (int, error) {
	b, err := os.ReadFile(filepath.Join(work, "farm-hosts"))
	if os.IsNotExist(err) {
		return defaultHosts, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("farm-hosts: %w", err)
	}
	return n, nil
}

func hostNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("web%02d", i+1)
	}
	return names
}
