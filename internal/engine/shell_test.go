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

// TestShellSteps: plain steps share one host shell, yet each has its own
// output, exit status, directory and environment; output that looks like
// the framing (even the real markers of other steps), input reads, `exit`
// and background processes do not confuse it.
func TestShellSteps(t *testing.T) {
	farm, hosts, conns := startFarm(t, 2)
	steps := []plan.Step{
		run("cd", `cd /; export DROVER_X=leaked; echo "ppid=$PPID"`),
		run("where", `pwd; echo "x=${DROVER_X:-unset}"; echo "ppid=$PPID"`),
		run("stdin", `if read -r line; then echo "read: $line"; else echo "eof"; fi; cat; echo "args=$#"`),
		run("markers", `printf 'drover-00000000000000000000000000000000-4 0\n\ndrover-\nlast without newline'`),
		run("forged", forgedMarkers),
		run("stderr", `echo to-err >&2; printf 'partial-err' >&2; echo "ppid=$PPID"`),
		run("background", `nohup sleep 2 & echo started; nohup sh -c 'sleep 0.2; echo late' & echo "ppid=$PPID"`),
		run("exit", `echo before; exit 7; echo after`),
		run("after", `echo "ppid=$PPID"`),
	}
	steps[7].OkExit = []int{7}
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
			"where":   {farm.Hosts[i].Dir, "x=unset"},
			"stdin":   {"eof", "args=0"},
			"markers": {"drover-00000000000000000000000000000000-4 0", "", "drover-", "last without newline"},
			"exit":    {"before"},
		}
		for step, lines := range want {
			if got := withoutPPID(out[step]); !slices.Equal(got, lines) {
				t.Errorf("%s: %s output = %q, want %q", h.Name, step, got, lines)
			}
		}
		checkForged(t, h.Name, out["forged"])
		if !slices.Contains(out["stderr"], "to-err") || !slices.Contains(out["stderr"], "partial-err") {
			t.Errorf("%s: stderr output = %q", h.Name, out["stderr"])
		}
		checkOneShell(t, h.Name, out)
		if e := stepEnds(rec, h.Name)["exit"]; e.Exit == nil || *e.Exit != 7 {
			t.Errorf("%s: exit step end = %+v, want exit 7", h.Name, e)
		}
	}
}

// forgedMarkers reads the step's own marker from the command line of the
// shell that reports it, and prints markers of other steps, its own
// without a status on stdout, and with one on stderr.
const forgedMarkers = `p=$(tr '\0' '\n' </proc/$$/cmdline | tail -n 1); n=${p##*-}; b=${p%-*}
echo "prefix=$b"; echo "$b-$((n+1)) 0"; echo "$b-$((n-1)) 0"; echo "$b-$((n+1))k 0"; echo "$b-${n}x 0"; echo "$p"; echo " $p 0"
echo "$p 0" >&2; echo "$p 1x"; echo done`

func checkForged(t *testing.T, host string, lines []string) {
	t.Helper()
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "prefix=drover-") })
	if i < 0 {
		t.Fatalf("%s: forged output = %q, want the marker prefix", host, lines)
	}
	if len(lines) != 10 || !slices.Contains(lines, "done") {
		t.Errorf("%s: forged output = %q, want all 10 lines as output", host, lines)
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

// TestShellStepTimeout: a step that runs out of time is ended with its
// whole process group, and the shell goes on: the retry runs in the same
// shell, and what an earlier step left running is left alone.
func TestShellStepTimeout(t *testing.T) {
	farm, hosts, conns := startFarm(t, 1)
	dir := farm.Hosts[0].Dir
	steps := []plan.Step{
		run("daemon", `nohup sleep 60 >/dev/null 2>&1 & echo $! > daemon.pid; echo "ppid=$PPID"`),
		run("mark", `test -f tried && { echo "ppid=$PPID"; exit 0; }; touch tried; exit 1`),
		{Name: "slow", Kind: plan.KindRun, Arg: `test -f slow.pid && { echo "ppid=$PPID"; exit 0; }; sleep 60 & echo $! > slow.pid; echo waiting; wait`,
			Timeout: 500 * time.Millisecond, Retries: 1},
		run("next", `echo "ppid=$PPID"`),
	}
	steps[1].Retries = 1
	s, rec := shellRun(t, context.Background(), hosts, conns, steps, engine.Options{Sink: &recorder{}})
	if s.Hosts[0].Result != event.OK {
		t.Fatalf("summary = %+v, want ok after the retry", s.Hosts[0])
	}
	var timedOut bool
	for _, e := range rec.kinds(event.StepEnd) {
		timedOut = timedOut || (e.Step == "slow" && e.Result == event.Failed && strings.Contains(e.Error, "timed out"))
	}
	if !timedOut {
		t.Errorf("no timed out attempt of slow in %+v", rec.kinds(event.StepEnd))
	}
	checkOneShell(t, hosts[0].Name, outputs(rec, hosts[0].Name))
	if alive(t, filepath.Join(dir, "slow.pid")) {
		t.Errorf("the timed out step's sleep still runs")
	}
	if !alive(t, filepath.Join(dir, "daemon.pid")) {
		t.Errorf("the earlier step's background process was ended by the timeout")
	}
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
	for _, freeze := range []bool{false, true} {
		t.Run(fmt.Sprintf("freeze=%v", freeze), func(t *testing.T) {
			farm, hosts, conns := startFarmKeepalive(t, 1, time.Minute)
			steps := []plan.Step{
				run("first", "echo one"),
				run("x", `sleep 60 & echo $! > child.pid; sh -c 'echo $$ > grandchild.pid; exec sleep 60' &
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
