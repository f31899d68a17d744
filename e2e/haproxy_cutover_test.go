//go:build e2e

package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHAProxyCutoverUnderLoad rolls a release over six hosts behind HAProxy
// with the shipped cutover-lb (drain, switch, restart, probe, enable, one
// host at a time) while a load of 250 requests/s goes through HAProxy: no
// request fails, every answer is the old or the new release, and after the
// run every server is UP and serves the new one. The load balancer is
// reached through the SSH connection of a host that is not targeted. Then
// the plain cutover (no drain) rolls the next release under the same load,
// and requests fail: both counts are logged.
func TestHAProxyCutoverUnderLoad(t *testing.T) {
	needDrover(t, "run")
	needHAProxy(t)
	names := farm.Names[:lbHosts]
	installLBApp(t, names, "r1")
	l := startLB(t, names)
	t.Cleanup(l.enableAll)

	g := startLoad(t, l, "r1", "r2")
	time.Sleep(time.Second)
	via := farm.Names[len(farm.Names)-1]
	_, _, code := droverCmd(t, lbCutoverArgs("cutover-lb", "r2", names, l.args("--set", "lb_via="+via, "--set", "expect_body=release r2")...)...)
	time.Sleep(time.Second)
	withLB := g.finish()
	t.Logf("cutover-lb under load: %s", withLB)
	if code != 0 {
		t.Fatalf("cutover-lb: exit %d, want 0", code)
	}
	withLB.wantRate(t)
	if withLB.failed != 0 {
		t.Errorf("cutover-lb: %d of %d requests failed, want 0", withLB.failed, withLB.total)
	}
	if withLB.releases["r1"] == 0 || withLB.releases["r2"] == 0 {
		t.Errorf("answers per release %v: want both r1 and r2", withLB.releases)
	}
	l.wantAllUp(t)
	wantServing(t, names, "r2")

	g = startLoad(t, l, "r2", "r3")
	time.Sleep(time.Second)
	_, _, code = droverCmd(t, lbCutoverArgs("cutover", "r3", names, "-p", "1", "--batches", "1,100%")...)
	time.Sleep(time.Second)
	plain := g.finish()
	t.Logf("plain cutover under load: %s", plain)
	if code != 0 {
		t.Fatalf("cutover: exit %d, want 0", code)
	}
	plain.wantRate(t)
	t.Logf("failed requests: cutover-lb %d of %d, plain cutover %d of %d", withLB.failed, withLB.total, plain.failed, plain.total)
	if plain.failed == 0 {
		t.Errorf("the plain cutover failed no request: the load cannot tell a drained cutover from one that is not")
	}
}

// wantServing checks that every host's current is rel and its app answers
// with rel.
func wantServing(t testing.TB, names []string, rel string) {
	t.Helper()
	for _, n := range names {
		if cur, got := current(n), serving(t, n); cur != rel || got != "release "+rel {
			t.Errorf("%s: current %q, serving %q; want %s", n, cur, got, rel)
		}
	}
}

// TestHAProxyBrokenCanary: the new release cannot start on the canary, so
// its probe fails; the canary goes back to the old release, is probed and
// enabled again, no other host is touched, the run exits 1 and no request
// of the load fails.
func TestHAProxyBrokenCanary(t *testing.T) {
	needDrover(t, "run")
	needHAProxy(t)
	names := farm.Names[:lbHosts]
	installLBApp(t, names, "r1")
	l := startLB(t, names)
	t.Cleanup(l.enableAll)
	writeIn(t, srvPath(names[0], "app"), "fail-r2", "")

	g := startLoad(t, l, "r1", "r2")
	time.Sleep(time.Second)
	_, _, code := droverCmd(t, lbCutoverArgs("cutover-lb", "r2", names, l.args("--set", "expect_body=release r2")...)...)
	time.Sleep(time.Second)
	rep := g.finish()
	t.Logf("broken canary under load: %s", rep)
	if code != 1 {
		t.Errorf("cutover-lb with a broken canary: exit %d, want 1", code)
	}
	rep.wantRate(t)
	if rep.failed != 0 {
		t.Errorf("%d of %d requests failed, want 0", rep.failed, rep.total)
	}
	if rep.releases["r2"] != 0 {
		t.Errorf("%d answers of the broken release r2, want none", rep.releases["r2"])
	}
	l.wantAllUp(t)
	wantServing(t, names, "r1")
	_, events := lastJournal(t, time.Now().Add(-time.Minute))
	var undone []string
	for _, e := range findEvents(events, "step.end") {
		if e.Undo && e.Result == "ok" {
			undone = append(undone, e.Host+":"+e.Step)
		}
	}
	if want := names[0] + ":switch back," + names[0] + ":restart," + names[0] + ":probe," + names[0] + ":enable"; strings.Join(undone, ",") != want {
		t.Errorf("undo steps %v, want %s", undone, want)
	}
}

// TestHAProxyInterrupt: Ctrl-C while the third host is out of the backend.
// Every server drover drained is enabled again, or a note names it as left
// drained with the reason; no request failed on a server drover never
// drained.
func TestHAProxyInterrupt(t *testing.T) {
	needDrover(t, "run")
	needHAProxy(t)
	names := farm.Names[:lbHosts]
	installLBApp(t, names, "r1")
	l := startLB(t, names)
	t.Cleanup(l.enableAll)

	g := startLoad(t, l, "r1", "r2")
	time.Sleep(time.Second)
	since := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	defer cancel()
	cmd := droverCommand(ctx, lbCutoverArgs("cutover-lb", "r2", names, l.args()...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, names[2]+" drained", func() bool { return l.status(t, names[2]) == "DRAIN" })
	time.Sleep(400 * time.Millisecond) // into the restart
	cmd.Process.Signal(os.Interrupt)
	code := exitStatus(t, cmd.Wait())
	time.Sleep(time.Second)
	rep := g.finish()
	t.Logf("drover: exit %d\n%s", code, out.String())
	t.Logf("interrupted cutover under load: %s", rep)
	if code != 130 {
		t.Errorf("exit %d after Ctrl-C, want 130", code)
	}
	rep.wantRate(t)

	_, events := lastJournal(t, since)
	drained := map[string]bool{}
	for _, e := range findEvents(events, "step.start") {
		if e.Step == "drain" {
			drained[e.Host] = true
		}
	}
	var notes []string
	for _, e := range findEvents(events, "note") {
		notes = append(notes, e.Text)
	}
	t.Logf("drained %v; notes:\n%s", drained, strings.Join(notes, "\n"))
	if !drained[names[2]] {
		t.Fatalf("journal: %s was never drained", names[2])
	}
	for _, n := range names {
		leftNote := "haproxy: " + lbBackend + "/" + n + " on " + l.api + " left drained: "
		switch s := l.status(t, n); {
		case strings.HasPrefix(s, "UP"):
		case drained[n] && strings.Contains(strings.Join(notes, "\n"), leftNote) && strings.Contains(out.String(), leftNote):
		default:
			t.Errorf("%s is %q after Ctrl-C, and no note says it was left drained and why", n, s)
		}
	}
	for server, n := range rep.failedBy {
		if !drained[server] {
			t.Errorf("%d requests failed on %q, which drover never drained", n, server)
		}
	}
}

// TestHAProxyPlanAndPreflight: drover plan shows the drain, probe and
// enable steps and each host's server, contacting nothing; an unknown
// backend or a targeted host without a server is refused before anything
// changes (exit 2).
func TestHAProxyPlanAndPreflight(t *testing.T) {
	needDrover(t, "plan")
	needHAProxy(t)
	names := farm.Names[:lbHosts]
	installLBApp(t, names, "r1")
	l := startLB(t, names)
	t.Cleanup(l.enableAll)

	for _, n := range names {
		out, _, code := droverCmd(t, "plan", "cutover-lb", "-H", strings.Join(names, ","), "--host", n,
			"--set", "source="+lbRelease, "--set", "lb_socket="+l.api)
		if code != 0 {
			t.Fatalf("plan: exit %d", code)
		}
		for _, want := range []string{"haproxy drain", "http http://" + farm.Addr(t, n) + ":8080/health", "haproxy enable",
			lbBackend + "@" + l.api, n + " -> server " + lbBackend + "/" + n} {
			if !strings.Contains(out, want) {
				t.Errorf("plan --host %s: no %q in\n%s", n, want, out)
			}
		}
	}

	tests := []struct {
		name  string
		hosts []string
		extra []string
		want  string
	}{
		{"unknown backend", names, []string{"--set", "backend=wbe"}, `has no backend "wbe"`},
		{"host without a server", farm.Names[:lbHosts+1], nil, "has no server " + farm.Names[lbHosts]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := droverCmd(t, lbCutoverArgs("cutover-lb", "r9", tt.hosts, l.args(tt.extra...)...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
			for _, n := range tt.hosts {
				if _, err := os.Stat(srvPath(n, "app/releases/r9")); !os.IsNotExist(err) {
					t.Errorf("%s: release r9 was published (%v)", n, err)
				}
				if _, err := os.Stat(srvPath(n, "app/.drover/lock")); !os.IsNotExist(err) {
					t.Errorf("%s: the farm lock is there (%v)", n, err)
				}
			}
			l.wantAllUp(t)
			wantServing(t, names, "r1")
		})
	}
}
