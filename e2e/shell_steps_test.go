//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stepsRunbook is a runbook of one stage whose steps are the given
// commands, each "name=cmd" with an optional " timeout=D" after a tab.
func stepsRunbook(t *testing.T, steps ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("name = \"steps\"\n[[stage]]\nname = \"s\"\nmax_fail = \"100%\"\n")
	for _, s := range steps {
		step, opts, _ := strings.Cut(s, "\t")
		name, cmd, _ := strings.Cut(step, "=")
		fmt.Fprintf(&b, "\n  [[stage.step]]\n  name = %q\n  run  = %q\n", name, cmd)
		if opts != "" {
			fmt.Fprintf(&b, "  %s\n", opts)
		}
	}
	rb := filepath.Join(t.TempDir(), "steps.toml")
	writeFile(t, rb, b.String())
	return rb
}

// jsonEvents parses drover's --json output.
func jsonEvents(t *testing.T, out string) []journalEvent {
	t.Helper()
	var events []journalEvent
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e journalEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("--json line %q: %v", sc.Text(), err)
		}
		events = append(events, e)
	}
	return events
}

// stepView is what events say about one step on one host.
type stepView struct {
	started, ended int
	result, err    string
	lines          []string
}

func stepViews(events []journalEvent, host string) map[string]*stepView {
	views := map[string]*stepView{}
	for _, e := range events {
		if e.Host != host || e.Step == "" {
			continue
		}
		v := views[e.Step]
		if v == nil {
			v = &stepView{}
			views[e.Step] = v
		}
		switch e.Kind {
		case "step.start":
			v.started++
		case "step.end":
			v.ended++
			v.result, v.err = e.Result, e.Error
		case "step.output":
			v.lines = append(v.lines, e.Line)
		}
	}
	return views
}

// TestShellStepFiveOfTenFails: ten plain steps on every web and BusyBox
// host (where the host shell is BusyBox's ash); step 5
// fails. Every host stops at step 5 with its exit status and output, in
// the --json events, the journal and the summary; steps 6 to 10 never
// start; steps 1 to 5 ran in one shell per host.
func TestShellStepFiveOfTenFails(t *testing.T) {
	needDrover(t, "run")
	var steps []string
	for i := 1; i <= 10; i++ {
		cmd := fmt.Sprintf(`echo "step %d in $PPID"`, i)
		if i == 5 {
			cmd += `; echo "broken config" >&2; exit 42`
		}
		steps = append(steps, fmt.Sprintf("step%d=%s", i, cmd))
	}
	start := time.Now()
	args := []string{"run", stepsRunbook(t, steps...), "-g", "web", "--yes", "--json"}
	if len(farm.BusyBoxNames) > 0 {
		args = append(args, "-g", "busybox")
	}
	out, stderr, code := droverCmd(t, args...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	_, journal := lastJournal(t, start)
	for source, events := range map[string][]journalEvent{"--json": jsonEvents(t, out), "journal": journal} {
		for _, name := range append(slices.Clip(farm.Names), farm.BusyBoxNames...) {
			checkStoppedAtFive(t, source, name, events)
		}
	}
}

func checkStoppedAtFive(t *testing.T, source, host string, events []journalEvent) {
	t.Helper()
	views := stepViews(events, host)
	shells := map[string]bool{}
	for i := 1; i <= 10; i++ {
		v := views[fmt.Sprintf("step%d", i)]
		switch {
		case i > 5 && v != nil:
			t.Errorf("%s: %s: step%d ran after step5 failed: %+v", source, host, i, v)
		case i <= 5 && (v == nil || v.started != 1 || v.ended != 1):
			t.Errorf("%s: %s: step%d = %+v, want one start and one end", source, host, i, v)
		case i < 5 && v.result != "ok", i == 5 && (v.result != "failed" || !strings.Contains(v.err, "42")):
			t.Errorf("%s: %s: step%d ended %s %q", source, host, i, v.result, v.err)
		case i <= 5:
			want := fmt.Sprintf("step %d in ", i)
			k := slices.IndexFunc(v.lines, func(l string) bool { return strings.HasPrefix(l, want) })
			if k < 0 {
				t.Errorf("%s: %s: step%d output %q, want %q...", source, host, i, v.lines, want)
				continue
			}
			shells[strings.TrimPrefix(v.lines[k], want)] = true
			if i == 5 && !strings.Contains(strings.Join(v.lines, "\n"), "broken config") {
				t.Errorf("%s: %s: step5 output %q lacks its stderr", source, host, v.lines)
			}
		}
	}
	if len(shells) != 1 {
		t.Errorf("%s: %s: steps ran under %d shells %v, want one", source, host, len(shells), shells)
	}
	if e, ok := hostEnd(events, "s", host); !ok || e.Result != "failed" || !strings.Contains(e.Error, `exit 42 in "step5"`) {
		t.Errorf("%s: host.end of %s = %+v, want failed with exit 42 in step5", source, host, e)
	}
}

// TestShellStepTimeoutEndsThatStep: step 3 runs out of time on every host.
// Its processes are gone, what step 1 left running in the background is
// not, and the host fails at step 3 with a timeout.
func TestShellStepTimeoutEndsThatStep(t *testing.T) {
	needDrover(t, "run")
	t.Cleanup(func() {
		killFarmProcs(farmProcs(t, "sleep", "311"))
		killFarmProcs(farmProcs(t, "sleep", "312"))
	})
	rb := stepsRunbook(t,
		"daemon=nohup sleep 311 >/dev/null 2>&1 &",
		"check=echo fine",
		"slow=sleep 312 & echo waiting; wait\ttimeout = \"2s\"",
		"after=echo never")
	start := time.Now()
	out, _, code := droverCmd(t, "run", rb, "-g", "web", "--yes")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("run took %s", took)
	}
	waitFor(t, 10*time.Second, "step 3's sleep gone from every host", func() bool {
		return len(farmProcs(t, "sleep", "312")) == 0
	})
	if n := len(farmProcs(t, "sleep", "311")); n != len(farm.Names) {
		t.Errorf("%d hosts still run step 1's background sleep, want all %d", n, len(farm.Names))
	}
	_, events := lastJournal(t, start)
	for _, name := range farm.Names {
		v := stepViews(events, name)
		if s := v["slow"]; s == nil || s.result != "failed" || !strings.Contains(s.err, "timed out") {
			t.Errorf("%s: slow = %+v, want failed, timed out", name, s)
		}
		if v["after"] != nil {
			t.Errorf("%s: the step after the timeout ran", name)
		}
	}
	if !strings.Contains(out, "timed out") {
		t.Errorf("summary does not say timed out:\n%s", out)
	}
}

// TestShellInterruptLeavesNothing: SIGINT while every host is in the
// middle of a plain step of a multi-step runbook: drover exits 130 and no
// process of the run (the step, its children, the host shell) is left on
// any host.
func TestShellInterruptLeavesNothing(t *testing.T) {
	needDrover(t, "run")
	t.Cleanup(func() {
		killFarmProcs(farmProcs(t, "sleep", "321"))
		killFarmProcs(farmProcs(t, "sleep", "322"))
	})
	rb := stepsRunbook(t,
		"first=echo one",
		"busy=sleep 321 & sh -c 'exec sleep 322' & wait",
		"last=echo never")
	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	defer cancel()
	c := droverCommand(ctx, "run", rb, "-g", "web", "--yes")
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatalf("start drover: %v", err)
	}
	waitFor(t, 30*time.Second, "both sleeps on every host", func() bool {
		return len(farmProcs(t, "sleep", "321")) == len(farm.Names) && len(farmProcs(t, "sleep", "322")) == len(farm.Names)
	})
	if n := len(farmProcs(t, "sh")); n < len(farm.Names) {
		t.Errorf("%d host shells, want one per host", n)
	}
	sent := time.Now()
	c.Process.Signal(syscall.SIGINT)
	code := exitStatus(t, c.Wait())
	t.Logf("drover: exit %d %s after SIGINT\n%s", code, time.Since(sent), out.String())
	if code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	waitFor(t, 10*time.Second, "no process of the run on any host", func() bool {
		return len(farmProcs(t, "sleep", "321"))+len(farmProcs(t, "sleep", "322"))+len(farmProcs(t, "sh")) == 0
	})
}

// TestShellInlineSteps: steps that are one call of a builtin with literal
// words and no file run in the host shell itself, on OpenSSH hosts (dash) and BusyBox
// ones (ash) alike: each still has its own output and exit status, and a
// failing one stops the host there.
func TestShellInlineSteps(t *testing.T) {
	needDrover(t, "run")
	rb := stepsRunbook(t,
		"differ=[ prod != staging ]",
		`words=echo inline 'a  b' "c  d"`,
		"format=printf '%s=%s' key value",
		`between=echo "between in $PPID"`,
		"mismatch=[ staging = prod ]",
		"never=true")
	args := []string{"run", rb, "-g", "web", "--yes", "--json"}
	if len(farm.BusyBoxNames) > 0 {
		args = append(args, "-g", "busybox")
	}
	out, stderr, code := droverCmd(t, args...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	events := jsonEvents(t, out)
	for _, name := range append(slices.Clip(farm.Names), farm.BusyBoxNames...) {
		v := stepViews(events, name)
		for step, want := range map[string][]string{"differ": nil, "words": {"inline a  b c  d"}, "format": {"key=value"}} {
			if s := v[step]; s == nil || s.result != "ok" || !slices.Equal(s.lines, want) {
				t.Errorf("%s: %s = %+v, want ok with output %q", name, step, s, want)
			}
		}
		if s := v["mismatch"]; s == nil || s.result != "failed" || !strings.Contains(s.err, "exit 1") || len(s.lines) != 0 {
			t.Errorf("%s: mismatch = %+v, want failed with exit 1 and no output", name, s)
		}
		if v["never"] != nil {
			t.Errorf("%s: the step after the failed one ran", name)
		}
		if e, ok := hostEnd(events, "s", name); !ok || e.Result != "failed" || !strings.Contains(e.Error, `exit 1 in "mismatch"`) {
			t.Errorf("%s: host.end = %+v, want failed with exit 1 in mismatch", name, e)
		}
	}
}

// TestShellLoneStep: a plain step alone in its stage runs in the host
// shell too, as it would beside others: in sh, with its DROVER_STEP. Run
// as deploy and as root (whose sessions OpenSSH will not signal), a lone
// step that runs out of time, and one interrupted, leave none of their
// processes on any host.
func TestShellLoneStep(t *testing.T) {
	needDrover(t, "run")
	t.Cleanup(func() {
		for _, arg := range []string{"331", "332", "333", "334"} {
			killFarmProcs(farmProcs(t, "sleep", arg))
		}
	})
	same := stepsRunbook(t, `where=[ -n "$DROVER_STEP" ] && echo "in the host shell"`)
	start := time.Now()
	if out, _, code := droverCmd(t, "run", same, "-g", "web", "--yes"); code != 0 {
		t.Errorf("lone step: exit %d\n%s", code, out)
	}
	_, events := lastJournal(t, start)
	for _, name := range farm.Names {
		if v := stepViews(events, name)["where"]; v == nil || !slices.Equal(v.lines, []string{"in the host shell"}) {
			t.Errorf("%s: where = %+v, want the line from the host shell", name, v)
		}
	}
	for _, user := range []string{"deploy", "root"} {
		slow := stepsRunbook(t, "slow=sleep 331 & sh -c 'exec sleep 332' & wait\ttimeout = \"2s\"")
		if out, _, code := droverCmd(t, "run", slow, "-g", "web", "-u", user, "--yes"); code != 1 || !strings.Contains(out, "timed out") {
			t.Errorf("%s: timed out lone step: exit %d, want 1 and a timeout\n%s", user, code, out)
		}
		waitFor(t, 10*time.Second, user+": the timed out step's sleeps gone from every host", func() bool {
			return len(farmProcs(t, "sleep", "331"))+len(farmProcs(t, "sleep", "332")) == 0
		})

		busy := stepsRunbook(t, "busy=sleep 333 & sh -c 'exec sleep 334' & wait")
		ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
		c := droverCommand(ctx, "run", busy, "-g", "web", "-u", user, "--yes")
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		if err := c.Start(); err != nil {
			cancel()
			t.Fatalf("start drover: %v", err)
		}
		waitFor(t, 30*time.Second, user+": both sleeps on every host", func() bool {
			return len(farmProcs(t, "sleep", "333")) == len(farm.Names) && len(farmProcs(t, "sleep", "334")) == len(farm.Names)
		})
		c.Process.Signal(syscall.SIGINT)
		if code := exitStatus(t, c.Wait()); code != 130 {
			t.Errorf("%s: exit %d after SIGINT, want 130\n%s", user, code, out.String())
		}
		cancel()
		waitFor(t, 10*time.Second, user+": the interrupted step's sleeps gone from every host", func() bool {
			return len(farmProcs(t, "sleep", "333"))+len(farmProcs(t, "sleep", "334")) == 0
		})
	}
}
