//go:build e2e && chaos

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The chaos suite (`make chaos`): faults injected at every phase of a
// 12-host cutover on the real farm, one table row per scenario, and the
// same invariants checked after every one of them:
//
//   - no hang: drover ends within chaosLimit;
//   - no host half-switched: current names a release that exists, and after
//     an abort with undo no host drover could reach is on the new release;
//   - no stale lock: after the run (and the resume) no host drover can reach
//     holds the farm lock;
//   - the journal is readable by `drover log` and records every host's end;
//   - the sudo secret is in no output, journal or transcript;
//   - the exit code is the documented one.

const (
	chaosSecret = "chaos-Sudo-7f3a9c"
	chaosLimit  = 150 * time.Second
	chaosHosts  = "web[01:12]"
)

// chaosRunbook is the shipped cutover with a sudo step (so a secret is in
// play on every host) and a report step that prints what a scenario puts on
// a host: a flood of output, or escape sequences with the secret.
const chaosRunbook = `name   = "chaos"
target = "web"

[params.release]
default = "r2"
[params.source]
required = true
pattern  = '[^\x00]+'

[release]
root = "/srv/app"
keep = 5

[secrets.sudo]
env = "DROVER_SUDO_PASSWORD"

[[stage]]
name     = "pull"
parallel = 20
  [[stage.step]]
  name    = "publish"
  upload  = "{{ .source }}"
  to      = "{{ .root }}/releases/{{ .release }}"
  skip_if = "test -d {{ .root }}/releases/{{ .release }}"

[[stage]]
name          = "cutover"
batches       = [1, "25%", "100%"]
parallel      = 2
max_fail      = 0
undo_on_abort = true
  [[stage.step]]
  name      = "switch"
  switchrel = "{{ .release }}"
  [[stage.step]]
  name    = "restart"
  run     = "sh /srv/app/current/bin/restart"
  pty     = true
  timeout = "2m"
  [[stage.step]]
  name    = "wait for the log"
  watch   = "/srv/app/app.log"
  until   = 'listening'
  fail_on = 'FATAL|panic:'
  timeout = "60s"
  [[stage.step]]
  name = "sudo check"
  run  = "id -u"
  sudo = true
  [[stage.step]]
  name = "report"
  run  = '''if [ -f /srv/app/flood ]; then head -c "$(cat /srv/app/flood)" /dev/zero | tr '\000' x; fi; if [ -f /srv/app/banner ]; then cat /srv/app/banner; fi; true'''

  [[stage.undo]]
  name      = "switch back"
  switchrel = "previous"
  [[stage.undo]]
  name = "restart"
  run  = "sh /srv/app/current/bin/restart"
  pty  = true
`

// scenario is one row of the chaos table.
type scenario struct {
	fault, phase string
	big          bool                            // publish a 48 MB release, so uploads take a while
	setup        func(t *testing.T, c *chaosRun) // before drover starts
	during       func(t *testing.T, c *chaosRun) // while it runs (from a goroutine)
	repair       func(t *testing.T, c *chaosRun) // after it ended, before the checks
	codes        []int                           // documented exit codes for this fault
	resume       []int                           // run --resume last after repair; its codes
	want         string                          // r2: every reachable host ends on r2; r1: none does; "": no claim
	lost         []string                        // hosts the fault takes out of drover's reach
	stuck        []string                        // hosts where drover cannot clear its lock, and must say so
	args         []string                        // more drover flags
}

// chaosRun is one scenario's drover run and what the checks need.
type chaosRun struct {
	s       scenario
	dir     string // runbook, source, log dir
	source  string
	logDir  string
	runbook string

	mu      sync.Mutex
	procs   []*exec.Cmd
	outs    []*lockedBuffer
	errs    []*lockedBuffer
	codes   []int
	maxRSS  int64 // KiB, the largest of the runs
	started time.Time
	hung    bool
	missed  bool          // the fault's trigger never came
	ended   chan struct{} // closed when the scenario's first drovers ended
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestChaos(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:12]
	chaosSudo(t, hosts)
	var rows []chaosRow
	for _, s := range chaosScenarios() {
		s := s
		t.Run(s.fault+"/"+s.phase, func(t *testing.T) {
			row := runScenario(t, hosts, s)
			rows = append(rows, row)
			for _, p := range row.problems {
				t.Error(p)
			}
		})
	}
	printChaosTable(t, rows)
	if len(rows) < 25 {
		t.Errorf("%d scenarios ran, want at least 25", len(rows))
	}
}

// chaosSudo makes deploy's sudo ask for chaosSecret on every host for the
// suite, so every run has a secret to keep.
func chaosSudo(t *testing.T, hosts []string) {
	for _, h := range hosts {
		farmExec(t, h, "echo 'deploy:"+chaosSecret+"' | chpasswd && "+
			"echo 'deploy ALL=(ALL) PASSWD: ALL' > /etc/sudoers.d/zz-chaos && chmod 440 /etc/sudoers.d/zz-chaos")
	}
	t.Cleanup(func() {
		for _, h := range hosts {
			farmExecCode(t, h, "rm -f /etc/sudoers.d/zz-chaos; usermod -p '*' deploy")
		}
	})
}

// runScenario runs one scenario and checks the invariants.
func runScenario(t *testing.T, hosts []string, s scenario) chaosRow {
	c := newChaosRun(t, hosts, s)
	if s.setup != nil {
		s.setup(t, c)
	}
	c.started = time.Now()
	var wg sync.WaitGroup
	if s.during != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.during(t, c) }()
	}
	if s.fault == "two operators at once" {
		c.start(t, c.runArgs()...)
	}
	c.start(t, c.runArgs()...)
	c.waitAll(t)
	close(c.ended)
	wg.Wait()
	took := time.Since(c.started)
	if s.repair != nil {
		s.repair(t, c)
	}
	row := c.check(t, hosts, took)
	if len(row.problems) > 0 {
		t.Logf("drover's output:\n%s", c.output())
	}
	return row
}

func newChaosRun(t *testing.T, hosts []string, s scenario) *chaosRun {
	c := &chaosRun{s: s, dir: t.TempDir(), ended: make(chan struct{})}
	installApp(t, hosts, chaosHosts, "r1")
	c.source = chaosSource(t, s.big)
	c.logDir = filepath.Join(c.dir, "logs")
	c.runbook = writeIn(t, c.dir, "chaos.toml", chaosRunbook)
	return c
}

// chaosSource is the farm app as release source, with a large file when big.
func chaosSource(t *testing.T, big bool) string {
	dir := appSource(t)
	// The app takes a second to come up, so a fault can land while the
	// log is watched.
	app := filepath.Join(dir, "bin", "app")
	b, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(app, bytes.Replace(b, []byte("sleep 0.3"), []byte("sleep 1"), 1), 0o755); err != nil {
		t.Fatal(err)
	}
	if big {
		f, err := os.Create(filepath.Join(dir, "big"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
		for i := 0; i < 48; i++ {
			chunk[i] = byte('a' + i%26) // not all alike, so nothing compresses it away
			if _, err := f.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func (c *chaosRun) runArgs() []string {
	return append([]string{"run", c.runbook, "-H", chaosHosts, "--yes", "--log-dir", c.logDir,
		"--set", "release=r2", "--set", "source=" + c.source}, c.s.args...)
}

// start starts drover in the background with the suite's environment and
// the sudo secret.
func (c *chaosRun) start(t *testing.T, args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), chaosLimit)
	t.Cleanup(cancel)
	cmd := droverCommand(ctx, args...)
	cmd.Env = append(cmd.Env, "DROVER_SUDO_PASSWORD="+chaosSecret)
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, errb
	cmd.Cancel = func() error {
		c.mu.Lock()
		c.hung = true
		c.mu.Unlock()
		return cmd.Process.Kill()
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start drover: %v", err)
	}
	c.mu.Lock()
	c.procs, c.outs, c.errs = append(c.procs, cmd), append(c.outs, out), append(c.errs, errb)
	c.mu.Unlock()
	go c.sampleRSS(cmd.Process.Pid)
}

// sampleRSS records the peak resident set of process pid (VmHWM) until it
// exits. The child's rusage would not do: on Linux it counts the memory of
// the test process it was forked from.
func (c *chaosRun) sampleRSS(pid int) {
	status := fmt.Sprintf("/proc/%d/status", pid)
	for {
		b, err := os.ReadFile(status)
		if err != nil || bytes.Contains(b, []byte("State:\tZ")) {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			var kb int64
			if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
				c.mu.Lock()
				c.maxRSS = max(c.maxRSS, kb)
				c.mu.Unlock()
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAll waits for every drover started so far and records exit codes
// and peak memory.
func (c *chaosRun) waitAll(t *testing.T) {
	c.mu.Lock()
	procs := slices.Clone(c.procs)
	c.mu.Unlock()
	for _, p := range procs {
		err := p.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		} else if err != nil {
			t.Errorf("wait for drover: %v", err)
		}
		c.mu.Lock()
		c.codes = append(c.codes, code)
		c.mu.Unlock()
	}
}

// signal sends sig to the newest drover.
func (c *chaosRun) signal(t *testing.T, sig syscall.Signal) {
	c.mu.Lock()
	p := c.procs[len(c.procs)-1]
	c.mu.Unlock()
	if err := p.Process.Signal(sig); err != nil {
		t.Logf("signal drover: %v", err)
	}
}

// resumeRun runs `drover run RUNBOOK --resume last` to its end.
func (c *chaosRun) resumeRun(t *testing.T) int {
	c.start(t, "run", c.runbook, "--resume", "last", "--yes", "--log-dir", c.logDir,
		"--set", "source="+c.source)
	c.mu.Lock()
	p := c.procs[len(c.procs)-1]
	c.mu.Unlock()
	c.waitOne(t, p)
	return c.codes[len(c.codes)-1]
}

func (c *chaosRun) waitOne(t *testing.T, p *exec.Cmd) {
	err := p.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	c.mu.Lock()
	c.codes = append(c.codes, code)
	c.mu.Unlock()
}

// output is everything every drover of the scenario printed.
func (c *chaosRun) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for i := range c.outs {
		b.WriteString(c.outs[i].String())
		b.WriteString(c.errs[i].String())
	}
	return b.String()
}

// waitUntil polls cond every 10 ms until it holds (true), or drover ended
// or a minute passed (false).
func (c *chaosRun) waitUntil(cond func() bool) bool {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		select {
		case <-c.ended:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}

// TestChaosKillResume kills drover with SIGKILL at ten moments spread over
// a cutover; each time `drover log` lists the run and `--resume last`
// finishes it: every host on the new release, no lock left.
func TestChaosKillResume(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:12]
	chaosSudo(t, hosts)
	clean := scenario{fault: "none", phase: "-", codes: []int{0}, want: "r2"}
	row := runScenario(t, hosts, clean)
	for _, p := range row.problems {
		t.Fatalf("clean run: %s", p)
	}
	full := row.took
	t.Logf("a clean cutover of 12 hosts takes %s", full)
	for i := 0; i < 10; i++ {
		at := full * time.Duration(2*i+1) / 20
		t.Run(fmt.Sprintf("kill at %s", at.Round(time.Millisecond)), func(t *testing.T) {
			s := scenario{fault: "drover SIGKILL", phase: at.String(), during: after(at, signal(syscall.SIGKILL)),
				codes: []int{137}, resume: []int{0}, want: "r2"}
			row := runScenario(t, hosts, s)
			if code := row.outcome; strings.HasPrefix(code, "exit 0") {
				t.Logf("drover ended before the kill at %s", at)
			}
			for _, p := range row.problems {
				if strings.HasPrefix(p, "exit [0]") {
					continue // finished before the kill: nothing to resume, still checked
				}
				t.Error(p)
			}
		})
	}
}
