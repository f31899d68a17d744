//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// orderRunbook has three stages, each batched [1, 25%, 100%] with two hosts
// in flight; every step writes when it starts and ends into /srv/trace.
const orderRunbook = `
name = "order"
{{range .}}
[[stage]]
name     = "{{.}}"
batches  = [1, "25%", "100%"]
parallel = 2

  [[stage.step]]
  name = "trace"
  run  = "echo {{.}} start $(date +%s%N) >> /srv/trace; sleep 0.15; echo {{.}} end $(date +%s%N) >> /srv/trace"
{{end}}`

// span is when one host ran one stage's step, from the host's own clock
// (all farm hosts share the machine's).
type span struct {
	host       string
	start, end int64
}

// readSpans parses /srv/trace on every host into spans per stage.
func readSpans(t *testing.T, hosts []string) map[string][]span {
	t.Helper()
	spans := map[string][]span{}
	for _, h := range hosts {
		open := map[string]int64{}
		for _, line := range strings.Split(strings.TrimSpace(srvRead(t, h, "trace")), "\n") {
			f := strings.Fields(line)
			if len(f) != 3 {
				t.Fatalf("%s: /srv/trace line %q", h, line)
			}
			ns, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				t.Fatalf("%s: /srv/trace line %q: %v", h, line, err)
			}
			if f[1] == "start" {
				open[f[0]] = ns
				continue
			}
			spans[f[0]] = append(spans[f[0]], span{host: h, start: open[f[0]], end: ns})
		}
	}
	return spans
}

func TestRunBatchesInOrder(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:12]
	cleanSrv(t, hosts, "trace")
	stages := []string{"one", "two", "three"}
	rb := writeIn(t, t.TempDir(), "order.toml", renderText(t, orderRunbook, stages))

	_, _, code := droverCmd(t, "run", rb, "-H", "web[01:12]")
	if code != 0 {
		t.Fatalf("drover run: exit %d, want 0", code)
	}
	spans := readSpans(t, hosts)
	wantBatches := [][]string{hosts[:1], hosts[1:4], hosts[4:]}
	var prevStageEnd int64
	for _, st := range stages {
		if len(spans[st]) != len(hosts) {
			t.Fatalf("stage %s ran on %d hosts, want %d", st, len(spans[st]), len(hosts))
		}
		byHost := map[string]span{}
		for _, s := range spans[st] {
			byHost[s.host] = s
			if s.start < prevStageEnd {
				t.Errorf("stage %s started on %s before the previous stage ended everywhere", st, s.host)
			}
		}
		var prevBatchEnd int64
		for k, batch := range wantBatches {
			var end int64
			for _, h := range batch {
				s := byHost[h]
				if s.start < prevBatchEnd {
					t.Errorf("stage %s batch %d: %s started %v before batch %d ended", st, k+1, h, time.Duration(prevBatchEnd-s.start), k)
				}
				end = max(end, s.end)
			}
			prevBatchEnd = end
		}
		if n := maxInFlight(spans[st]); n > 2 {
			t.Errorf("stage %s: %d hosts in flight at once, want at most 2", st, n)
		}
		prevStageEnd = prevBatchEnd
	}
}

// maxInFlight is the most spans that overlap at one instant.
func maxInFlight(spans []span) int {
	type edge struct {
		at    int64
		delta int
	}
	var edges []edge
	for _, s := range spans {
		edges = append(edges, edge{s.start, 1}, edge{s.end, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.delta, b.delta)) // ends first
	})
	n, most := 0, 0
	for _, e := range edges {
		n += e.delta
		most = max(most, n)
	}
	return most
}

func TestRunHostKilledStopsRollout(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:12]
	cleanSrv(t, hosts, "started")
	rb := writeIn(t, t.TempDir(), "kill.toml", `
name = "kill"
[[stage]]
name     = "slow"
parallel = 2
max_fail = 0
  [[stage.step]]
  name = "work"
  run  = "touch /srv/started; sleep 4"
`)
	t.Cleanup(func() { farmDo(t, "restart", "web02") })
	since := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	defer cancel()
	c := droverCommand(ctx, "run", rb, "-H", "web[01:12]")
	var out strings.Builder
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatalf("start drover: %v", err)
	}
	waitFor(t, 20*time.Second, "web02 to start its step", func() bool { return srvExists("web02", "started") })
	farmDo(t, "kill", "web02")
	code := exitStatus(t, c.Wait())
	t.Logf("drover run: exit %d\n%s", code, out.String())

	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out.String(), "web02") {
		t.Errorf("output does not mention the lost host web02")
	}
	for _, h := range hosts[2:] {
		if srvExists(h, "started") {
			t.Errorf("%s started after web02 was lost with max_fail = 0", h)
		}
	}
	path, events := lastJournal(t, since)
	ends := findEvents(events, "run.end")
	if len(ends) != 1 || ends[0].Code != 1 {
		t.Errorf("journal %s: run.end events %+v, want one with code 1", path, ends)
	}
	if e, ok := hostEnd(events, "slow", "web02"); !ok || e.Result == "ok" {
		t.Errorf("journal: web02's host.end = %+v (found %v), want a failure", e, ok)
	}
	if e, ok := hostEnd(events, "slow", "web01"); !ok || e.Result != "ok" {
		t.Errorf("journal: web01's host.end = %+v (found %v), want ok: it was in flight and finishes", e, ok)
	}
}

func TestBadInputTouchesNoHost(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:3]
	cleanSrv(t, hosts, "touched")
	tests := []struct {
		name    string
		runbook string
		args    []string
		want    []string // in stderr
	}{
		{
			name:    "typo key",
			runbook: "name = \"t\"\n[[stage]]\nname = \"s\"\nmax_fails = 0\n  [[stage.step]]\n  run = \"touch /srv/touched\"\n",
			want:    []string{"bad.toml:4:1", "max_fails", "did you mean", "max_fail"},
		},
		{
			name:    "bad regexp",
			runbook: "name = \"t\"\n[[stage]]\nname = \"s\"\n  [[stage.step]]\n  run = \"touch /srv/touched\"\n  until = '(ready'\n",
			want:    []string{"bad.toml:6:3", "until", "missing closing )"},
		},
		{
			name:    "unknown template param",
			runbook: "name = \"t\"\n[[stage]]\nname = \"s\"\n  [[stage.step]]\n  run = \"touch /srv/touched{{ .nosuch }}\"\n",
			want:    []string{"bad.toml:5:3", "nosuch"},
		},
		{
			name:    "shell in a param value",
			runbook: "name = \"t\"\n[params.release]\ndefault = \"r1\"\n[[stage]]\nname = \"s\"\n  [[stage.step]]\n  run = \"touch /srv/touched-{{ .release }}\"\n",
			args:    []string{"--set", "release=x; rm -rf /"},
			want:    []string{"release", "x; rm -rf /"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb := writeIn(t, t.TempDir(), "bad.toml", tt.runbook)
			before := acceptedLogins(t, hosts)
			args := append([]string{"run", rb, "-H", "web[01:03]", "--yes"}, tt.args...)
			_, stderr, code := droverCmd(t, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if after := acceptedLogins(t, hosts); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("sshd accepted logins: before %v, after %v; want none", before, after)
			}
			for _, h := range hosts {
				if out, _ := exec.Command("ls", srvPath(h, "")).Output(); strings.Contains(string(out), "touched") {
					t.Errorf("%s: /srv has %q", h, out)
				}
			}
		})
	}
}
