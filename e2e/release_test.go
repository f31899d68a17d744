//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// outSampler looks at every host every 100 ms while a rollout runs and
// remembers the most hosts seen "out" at once: not running the release
// their current points at (switched and not yet restarted, restarting,
// starting, failed).
type outSampler struct {
	hosts []string
	stop  chan struct{}
	done  sync.WaitGroup

	most    int
	mostAt  []string // the hosts out at that moment with their state
	samples int
}

func startSampler(t testing.TB, hosts []string) *outSampler {
	s := &outSampler{hosts: hosts, stop: make(chan struct{})}
	s.done.Add(1)
	go s.loop(t)
	return s
}

func (s *outSampler) loop(t testing.TB) {
	defer s.done.Done()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s.sample(t)
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}

func (s *outSampler) sample(t testing.TB) {
	var out []string
	for _, h := range s.hosts {
		cur, state := current(h), strings.TrimSpace(readOr(srvPath(h, "app/state")))
		if state != "running "+cur {
			out = append(out, fmt.Sprintf("%s: current %s, app %q", h, cur, state))
		}
	}
	s.samples++
	if len(out) > s.most {
		s.most, s.mostAt = len(out), out
	}
}

// finish stops the sampler and returns the most hosts out at once.
func (s *outSampler) finish() (most int, at []string, samples int) {
	close(s.stop)
	s.done.Wait()
	return s.most, s.mostAt, s.samples
}

func TestCutoverRolling(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:12]
	source := installApp(t, hosts, "web[01:12]", "r1")
	since := time.Now()
	sampler := startSampler(t, hosts)
	_, _, code := droverCmd(t, cutoverArgs(source, "r2", "web[01:12]")...)
	most, at, samples := sampler.finish()
	if code != 0 {
		t.Fatalf("cutover to r2: exit %d, want 0", code)
	}
	wantApp(t, hosts, "r2")
	t.Logf("%d samples; at most %d hosts out at once: %v", samples, most, at)
	if most > 2 {
		t.Errorf("%d hosts out at once with parallel 2: %v", most, at)
	}
	if most == 0 || samples < 10 {
		t.Errorf("the sampler saw %d samples and never a host out: it did not watch the rollout", samples)
	}
	path, events := lastJournal(t, since)
	for _, h := range hosts {
		if e, ok := hostEnd(events, "cutover", h); !ok || e.Result != "ok" {
			t.Errorf("journal %s: %s's cutover host.end = %+v (found %v), want ok", path, h, e, ok)
		}
		history := srvRead(t, h, "app/.drover/history")
		if !strings.Contains(history, "r1") || !strings.Contains(history, "r2") {
			t.Errorf("%s: history does not record the switch r1 -> r2:\n%s", h, history)
		}
	}
	if starts := findEvents(events, "run.start"); len(starts) != 1 || starts[0].Params["release"] != "r2" {
		t.Errorf("journal run.start = %+v, want release r2 in its params", starts)
	}
}

func TestSwitchrelPrevious(t *testing.T) {
	needDrover(t, "switchrel")
	hosts := farm.Names[:6]
	installApp(t, hosts, "web[01:06]", "r1", "r2", "r3")

	_, _, code := droverCmd(t, "switchrel", "previous", "-H", "web[01:06]", "--yes", "--restart", appRestart)
	if code != 0 {
		t.Fatalf("first switchrel previous: exit %d, want 0", code)
	}
	wantApp(t, hosts, "r2")
	for _, h := range hosts {
		if history := srvRead(t, h, "app/.drover/history"); !strings.Contains(history, "bad") {
			t.Errorf("%s: history does not mark r3 bad:\n%s", h, history)
		}
	}
	stdout, _, code := droverCmd(t, "releases", "-H", "web[01:06]")
	if code != 0 || !strings.Contains(stdout, "r3") || !strings.Contains(strings.ToLower(stdout), "bad") {
		t.Errorf("drover releases: exit %d, want the bad r3 shown", code)
	}

	_, _, code = droverCmd(t, "switchrel", "previous", "-H", "web[01:06]", "--yes", "--restart", appRestart)
	if code != 0 {
		t.Errorf("second switchrel previous: exit %d, want 0", code)
	}
	for _, h := range hosts {
		if cur := current(h); cur == "r3" {
			t.Errorf("%s: a second previous went back to the bad release r3", h)
		}
	}
	wantApp(t, hosts, "r1") // r2 ran before r3, and r3 is bad: back to r1
}

func TestSwitchrelPreviousDisagree(t *testing.T) {
	needDrover(t, "switchrel")
	hosts := farm.Names[:6]
	installApp(t, hosts, "web[01:06]", "r1", "r2")
	if _, _, code := droverCmd(t, "run", "cutover", "-H", "web03", "--yes", "--set", "release=r3",
		"--set", "source="+appSource(t), "--set", "restart="+appRestart, "--set", "log="+appLog); code != 0 {
		t.Fatalf("put web03 on r3: exit %d", code)
	}
	before := currents(hosts)
	_, stderr, code := droverCmd(t, "switchrel", "previous", "-H", "web[01:06]", "--yes")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{"web01", "web03", "r1", "r2"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: want the table of each host's previous", want)
		}
	}
	if after := currents(hosts); !slices.Equal(before, after) {
		t.Errorf("current before %v, after %v: a host switched", before, after)
	}
}

// currents is each host's current release, in order.
func currents(hosts []string) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, current(h))
	}
	return out
}

func TestCutoverUndoOnAbort(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:12]
	source := installApp(t, hosts, "web[01:12]", "r1")
	writeIn(t, srvPath("web03", "app"), "fail-r2", "")
	_, _, code := droverCmd(t, cutoverArgs(source, "r2", "web[01:12]")...)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantApp(t, hosts, "r1")
	for _, h := range hosts[4:] {
		if strings.Contains(srvRead(t, h, "app/.drover/history"), "r2") {
			t.Errorf("%s (batch 3) switched after web03 failed in batch 2", h)
		}
	}
}

func TestReleasesShowsDrift(t *testing.T) {
	needDrover(t, "releases")
	hosts := farm.Names[:5]
	installApp(t, hosts, "web[01:05]", "r1", "r2")
	if _, _, code := droverCmd(t, "switchrel", "r1", "-H", "web04", "--yes", "--restart", appRestart); code != 0 {
		t.Fatalf("put web04 back on r1: exit %d", code)
	}
	stdout, _, code := droverCmd(t, "releases", "-H", "web[01:05]")
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	for _, h := range hosts {
		line := lineWith(stdout, h)
		if drifted := strings.Contains(line, "!"); drifted != (h == "web04") {
			t.Errorf("%s: line %q: drift mark %v, want %v", h, line, drifted, h == "web04")
		}
	}
}

// lineWith is the first line of text that contains s.
func lineWith(text, s string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, s) {
			return line
		}
	}
	return ""
}
