package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// shellRun runs steps as one stage on every host of a real in-process
// farm and returns the summary and the events.
func shellRun(t *testing.T, ctx context.Context, hosts []inventory.Host, conns map[string]transport.Conn, steps []plan.Step, opts engine.Options) (*engine.Summary, *recorder) {
	t.Helper()
	st := plan.Stage{Name: "s", Parallel: len(hosts), MaxFail: plan.Threshold{Count: len(hosts)}, Steps: map[string][]plan.Step{}}
	for _, h := range hosts {
		st.Steps[h.Name] = steps
	}
	rec := &recorder{on: opts.Sink.(*recorder).on}
	opts.Sink = rec
	s, err := engine.Run(ctx, &plan.Plan{Name: "shell", Hosts: hosts, Stages: []plan.Stage{st}}, conns, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return s, rec
}

// outputs maps step -> output lines of host.
func outputs(rec *recorder, host string) map[string][]string {
	out := map[string][]string{}
	for _, e := range rec.kinds(event.StepOutput) {
		if e.Host == host {
			out[e.Step] = append(out[e.Step], e.Line)
		}
	}
	return out
}

// stepEnds maps step -> its last step.end event on host.
func stepEnds(rec *recorder, host string) map[string]event.Event {
	out := map[string]event.Event{}
	for _, e := range rec.kinds(event.StepEnd) {
		if e.Host == host {
			out[e.Step] = e
		}
	}
	return out
}

// shellID prints "ppid=" and the pid of the host shell that runs the step
// (a subshell of it).
const shellID = `echo "ppid=$$"`

// TestShellSteps: plain steps share one host shell, yet each has its own
// output, exit status, directory and environment; output that looks like
// the framing (even the real markers of other steps), input reads, `exit`
// and background processes, even one that prints steps later, do not
// confuse it.
func TestShellSteps(t *testing.T) {
	farm, hosts, conns := startFarm(t, 2)
	steps := []plan.Step{
		run("cd", `cd /; export DROVER_X=leaked; `+shellID),
		run("where", `pwd; echo "x=${DROVER_X:-unset}"; `+shellID),
		run("stdin", `if read -r line; then echo "read: $line"; else echo "eof"; fi; cat; echo "args=$#"`),
		run("markers", `printf 'drover-00000000000000000000000000000000-4 0\n\ndrover-\nlast without newline'`),
		run("forged", forgedMarkers),
		run("stderr", `echo to-err >&2; printf 'partial-err' >&2; echo ' then-out'; `+shellID),
		run("background", `nohup sleep 2 & echo started; nohup sh -c 'until [ -e late.go ]; do sleep 0.01; done; echo late; : >late.done' & `+shellID),
		run("exit", `echo before; exit 7; echo after`),
		run("after", shellID),
		run("own-trap", `trap 'echo cleanup' EXIT; echo body; exit 3`),
		run("exec", `echo before; exec echo replaced`),
		run("inline", `echo inline   'two  spaces' "and  three"`),
		run("inline-status", `[ staging = prod ]`),
		run("inline-error", `test a b c`),
		run("after-inline", shellID),
		// The background process of step "background" prints now, after
		// eight more steps, and its line belongs to the step running.
		run("late", `: >late.go; until [ -e late.done ]; do sleep 0.01; done; rm late.go late.done`),
	}
	steps[7].OkExit = []int{7}
	steps[9].OkExit = []int{3}
	steps[12].OkExit = []int{1}
	steps[13].OkExit = []int{2}
	began := time.Now()
	s, rec := shellRun(t, context.Background(), hosts, conns, steps, engine.Options{Sink: &recorder{}})
	t.Logf("run took %s", time.Since(began))
	for _, h := range s.Hosts {
		if h.Result != event.OK {
			t.Fatalf("%s = %+v, want ok", h.Host, h)
		}
	}
	for i, h := range hosts {
		out := outputs(rec, h.Name)
		want := map[string][]string{
			"where":    {farm.Hosts[i].Dir, "x=unset"},
			"stdin":    {"eof", "args=0"},
			"markers":  {"drover-00000000000000000000000000000000-4 0", "", "drover-", "last without newline"},
			"exit":     {"before"},
			"own-trap": {"body", "cleanup"},
			"exec":     {"before", "replaced"},
			"inline":   {"inline two  spaces and  three"},
			"late":     {"late"},
		}
		for step, lines := range want {
			if got := withoutPPID(out[step]); !slices.Equal(got, lines) {
				t.Errorf("%s: %s output = %q, want %q", h.Name, step, got, lines)
			}
		}
		checkForged(t, h.Name, out["forged"])
		if got := withoutPPID(out["stderr"]); !slices.Equal(got, []string{"to-err", "partial-err then-out"}) {
			t.Errorf("%s: stderr output = %q", h.Name, out["stderr"])
		}
		checkOneShell(t, h.Name, out)
		for step, code := range map[string]int{"exit": 7, "inline-status": 1, "inline-error": 2} {
			if e := stepEnds(rec, h.Name)[step]; e.Exit == nil || *e.Exit != code {
				t.Errorf("%s: %s step end = %+v, want exit %d", h.Name, step, e, code)
			}
		}
		if got := out["inline-error"]; len(got) != 1 || !strings.Contains(got[0], "test") {
			t.Errorf("%s: inline-error output = %q, want the shell's one-line complaint", h.Name, got)
		}
	}
}

// forgedMarkers reads the step's own marker (DROVER_STEP), and prints
// markers of other steps, its own without a status or with a bad one, and
// with a space before it. (Its own with a status ends it: a step that
// knows its marker can end itself, as it can with `exit`.)
const forgedMarkers = `p=$DROVER_STEP; n=${p##*-}; b=${p%-*}
echo "prefix=$b"; echo "$b-$((n+1)) 0"; echo "$b-$((n-1)) 0"; echo "$b-$((n+1))k 0"; echo "$b-${n}x 0"; echo "$p"; echo " $p 0"
echo "$p 1x"; echo done`

func checkForged(t *testing.T, host string, lines []string) {
	t.Helper()
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "prefix=drover-") })
	if i < 0 {
		t.Fatalf("%s: forged output = %q, want the marker prefix", host, lines)
	}
	if len(lines) != 9 || !slices.Contains(lines, "done") {
		t.Errorf("%s: forged output = %q, want all 9 lines as output", host, lines)
	}
}

// withoutPPID drops the ppid= lines.
func withoutPPID(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "ppid=") {
			out = append(out, l)
		}
	}
	return out
}

// checkOneShell: every step that printed its parent ran under the same
// shell, one that is not the in-process server itself.
func checkOneShell(t *testing.T, host string, out map[string][]string) {
	t.Helper()
	var ppids []string
	for _, lines := range out {
		for _, l := range lines {
			if p, ok := strings.CutPrefix(l, "ppid="); ok {
				ppids = append(ppids, p)
			}
		}
	}
	slices.Sort(ppids)
	ppids = slices.Compact(ppids)
	if len(ppids) != 1 || ppids[0] == strconv.Itoa(os.Getpid()) {
		t.Errorf("%s: steps ran under parents %q, want one host shell", host, ppids)
	}
}

// TestShellStepTimeout: a step that runs out of time is ended with every
// process it started, also one that left its session and parent, and the
// shell goes on: the retry runs in the same shell, and what an earlier step
// left running is left alone. (The earlier step's process leaves the
// session: the test server, unlike sshd, ends a session's process group
// with the session.)
func TestShellStepTimeout(t *testing.T) {
	farm, hosts, conns := startFarm(t, 1)
	dir := farm.Hosts[0].Dir
	steps := []plan.Step{
		run("daemon", `setsid sh -c 'echo $$ > daemon.pid; exec sleep 60' </dev/null >/dev/null 2>&1 & `+shellID),
		run("mark", `test -f tried && { `+shellID+`; exit 0; }; touch tried; exit 1`),
		slowStep("slow", ""),
		slowStep("slow-sub", "trap '' HUP; "),
		run("next", shellID),
	}
	steps[1].Retries = 1
	s, rec := shellRun(t, context.Background(), hosts, conns, steps, engine.Options{Sink: &recorder{}})
	if s.Hosts[0].Result != event.OK {
		t.Fatalf("summary = %+v, want ok after the retry", s.Hosts[0])
	}
	for _, step := range []string{"slow", "slow-sub"} {
		var timedOut bool
		for _, e := range rec.kinds(event.StepEnd) {
			timedOut = timedOut || (e.Step == step && e.Result == event.Failed && strings.Contains(e.Error, "timed out"))
		}
		if !timedOut {
			t.Errorf("no timed out attempt of %s in %+v", step, rec.kinds(event.StepEnd))
		}
	}
	checkOneShell(t, hosts[0].Name, outputs(rec, hosts[0].Name))
	for _, f := range []string{"slow.pid", "orphan.pid", "slow-sub.pid", "orphan-sub.pid"} {
		if alive(t, filepath.Join(dir, f)) {
			t.Errorf("%s: the timed out step's process still runs", f)
		}
	}
	if !alive(t, filepath.Join(dir, "daemon.pid")) {
		t.Errorf("the earlier step's background process was ended by the timeout")
	}
}

// slowStep is a step that starts a child and an orphan in a session of its
// own, then waits: it runs out of time on its first attempt, and its
// retry succeeds. The child and the orphan write their pids to NAME.pid
// and orphanSUFFIX.pid; prefix decides how the host shell runs it. The
// timeout leaves a loaded machine time to start them all.
func slowStep(name, prefix string) plan.Step {
	orphan := "orphan" + strings.TrimPrefix(name, "slow") + ".pid"
	return plan.Step{Name: name, Kind: plan.KindRun, Timeout: 2 * time.Second, Retries: 1,
		Arg: prefix + `test -f ` + name + `.pid && { ` + shellID + `; exit 0; }; sleep 60 & echo $! > ` + name + `.pid
(setsid sh -c 'echo $$ > ` + orphan + `; sleep 60' </dev/null >/dev/null 2>&1 &)
while ! test -s ` + orphan + ` || ! test -s daemon.pid; do sleep 0.01; done; echo waiting; wait`}
}

// alive reports whether the process whose pid is in file runs.
func alive(t *testing.T, file string) bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %v", file, err)
	}
	for range 50 {
		if syscall.Kill(pid, 0) != nil {
			return false
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && strings.Contains(string(st), ") Z ") {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// TestShellStepFails: a failing step 5 of 10 stops the host at step 5,
// with step 5's exit status and output; steps 6 to 10 never start.
func TestShellStepFails(t *testing.T) {
	_, hosts, conns := startFarm(t, 2)
	var steps []plan.Step
	for i := 1; i <= 10; i++ {
		steps = append(steps, run(fmt.Sprintf("step%d", i), fmt.Sprintf("echo out%d; test %d -ne 5 || { echo bad >&2; exit 42; }", i, i)))
	}
	s, rec := shellRun(t, context.Background(), hosts, conns, steps, engine.Options{Sink: &recorder{}})
	for _, h := range s.Hosts {
		if h.Result != event.Failed || h.Note != `exit 42 in "step5"` {
			t.Errorf("%s = %+v, want failed with exit 42 in step5", h.Host, h)
		}
		ends := stepEnds(rec, h.Host)
		if e := ends["step5"]; e.Exit == nil || *e.Exit != 42 || e.Result != event.Failed {
			t.Errorf("%s: step5 end = %+v", h.Host, e)
		}
		if len(ends) != 5 {
			t.Errorf("%s: %d steps ended, want 5", h.Host, len(ends))
		}
		out := outputs(rec, h.Host)
		if !slices.Equal(out["step4"], []string{"out4"}) || !slices.Contains(out["step5"], "bad") || !slices.Contains(out["step5"], "out5") {
			t.Errorf("%s: outputs = %q", h.Host, out)
		}
	}
}

// TestShellInterrupt: cancelling the run in the middle of a step leaves no
// process of it on the host, and the run ends within a bound even when the
// host froze.
func TestShellInterrupt(t *testing.T) {
	for _, c := range []struct {
		freeze bool
		exec   string // "exec " makes the step run in a subshell of its job
	}{{false, ""}, {false, "exec "}, {true, ""}} {
		freeze := c.freeze
		t.Run(fmt.Sprintf("freeze=%v,exec=%v", c.freeze, c.exec != ""), func(t *testing.T) {
			farm, hosts, conns := startFarmKeepalive(t, 1, time.Minute)
			steps := []plan.Step{
				run("first", "echo one"),
				run("x", `sleep 60 & echo $! > child.pid; sh -c 'echo $$ > grandchild.pid; `+c.exec+`sleep 60' &
while ! test -s grandchild.pid; do sleep 0.01; done; echo started; wait`),
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			on := func(e event.Event) {
				if e.Kind == event.StepOutput && e.Line == "started" {
					if freeze {
						farm.Hosts[0].Freeze()
					}
					cancel()
				}
			}
			began := time.Now()
			s, _ := shellRun(t, ctx, hosts, conns, steps, engine.Options{Sink: &recorder{on: on}})
			if d := time.Since(began); d > 8*time.Second {
				t.Errorf("run took %s after the interrupt", d)
			}
			if !s.Interrupted || s.Hosts[0].Result != event.Interrupted {
				t.Errorf("summary = %+v, want interrupted", s)
			}
			if freeze {
				farm.Hosts[0].Thaw()
			}
			for _, f := range []string{"child.pid", "grandchild.pid"} {
				if waitGone(t, filepath.Join(farm.Hosts[0].Dir, f)) {
					t.Errorf("%s: the step's process still runs after the interrupt", f)
				}
			}
		})
	}
}

// waitGone reports whether the process whose pid is in file still runs
// after a few seconds.
func waitGone(t *testing.T, file string) bool {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if !alive(t, file) {
			return false
		}
	}
	return true
}
