//go:build e2e

package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// The BusyBox hosts (bb01..bb03, group busybox) run OpenSSH, but every
// user's login shell is BusyBox's ash and PATH holds BusyBox's applets
// only: no GNU mv, ln, tar or tail, no sudo, no nohup. (Debian's BusyBox
// mv has -T; the host scripts' tests in package release also run with an
// mv that lacks it.) Everything drover
// runs on a host must work there as it does on the GNU hosts.

// needBusyBox skips a test when the farm has no BusyBox hosts; under
// CI=true that is a failure.
func needBusyBox(t *testing.T) {
	t.Helper()
	if len(farm.BusyBoxNames) == 0 {
		skipUnlessCI(t, "no BusyBox hosts: %s is missing (apt install busybox)", busyboxBin)
	}
}

// bbList is the -H list of the BusyBox hosts.
const bbList = "bb[01:03]"

// TestBusyBoxFarm checks the BusyBox hosts with OpenSSH's client first:
// the shell is BusyBox, every tool drover's host scripts use resolves to a
// BusyBox applet, and GNU-only tools are not there.
func TestBusyBoxFarm(t *testing.T) {
	needBusyBox(t)
	const probe = `readlink /proc/$$/exe
for c in sh mv ln rm mkdir tar tail cat sha256sum mktemp setsid ps awk grep; do
	p=$(command -v "$c") || { echo "$c: missing"; continue; }
	echo "$c: $(readlink "$p")"
done
command -v sudo >/dev/null && echo "sudo: present"
echo end`
	for _, name := range farm.BusyBoxNames {
		for _, user := range []string{"deploy", "root"} {
			out, code := sshCmd(t, user, farm.Addr(t, name), probe)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if code != 0 || len(lines) != 16 || lines[15] != "end" {
				t.Errorf("%s@%s: exit %d, output:\n%s", user, name, code, out)
				continue
			}
			for _, l := range lines[:15] {
				if !strings.HasSuffix(l, "/busybox") {
					t.Errorf("%s@%s: %q is not BusyBox", user, name, l)
				}
			}
		}
	}
}

// TestBusyBoxExec: exec on the BusyBox hosts folds their identical answers.
func TestBusyBoxExec(t *testing.T) {
	needDrover(t, "exec")
	needBusyBox(t)
	out, errOut, code := droverCmd(t, "exec", "-g", "busybox", "--", "mv --help 2>&1 | head -n 1 | cut -d' ' -f1")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if n := strings.Count(out, "BusyBox"); n != 1 || !strings.Contains(out, "3/3 hosts") {
		t.Errorf("BusyBox shows %d times, want once for 3/3 hosts (folded):\n%s", n, out)
	}
}

// TestBusyBoxCutoverAndPrevious runs the shipped cutover (upload, switch,
// restart, watch, prune, lock) on the BusyBox hosts, then switchrel
// previous, then a cutover whose canary's successor fails and is undone.
func TestBusyBoxCutoverAndPrevious(t *testing.T) {
	needDrover(t, "run")
	needBusyBox(t)
	hosts := farm.BusyBoxNames
	source := installApp(t, hosts, bbList, "r1")

	start := time.Now()
	if _, _, code := droverCmd(t, cutoverArgs(source, "r2", bbList)...); code != 0 {
		t.Fatalf("cutover to r2: exit %d, want 0", code)
	}
	wantApp(t, hosts, "r2")
	_, events := lastJournal(t, start)
	for _, h := range hosts {
		if e, ok := hostEnd(events, "cutover", h); !ok || e.Result != "ok" {
			t.Errorf("%s: cutover host.end = %+v (found %v), want ok", h, e, ok)
		}
		if history := srvRead(t, h, "app/.drover/history"); !strings.Contains(history, "r1") || !strings.Contains(history, "r2") {
			t.Errorf("%s: history does not record r1 -> r2:\n%s", h, history)
		}
	}
	if l := locked(hosts); len(l) > 0 {
		t.Errorf("locks left after the cutover on %v", l)
	}

	if _, _, code := droverCmd(t, "switchrel", "previous", "-H", bbList, "--yes", "--restart", appRestart); code != 0 {
		t.Fatalf("switchrel previous: exit %d, want 0", code)
	}
	wantApp(t, hosts, "r1")
	stdout, _, code := droverCmd(t, "releases", "-H", bbList)
	if code != 0 || !strings.Contains(stdout, "r2") || !strings.Contains(strings.ToLower(stdout), "bad") {
		t.Errorf("releases: exit %d, want r2 shown bad:\n%s", code, stdout)
	}

	writeIn(t, srvPath(hosts[1], "app"), "fail-r3", "")
	if _, _, code := droverCmd(t, cutoverArgs(source, "r3", bbList)...); code != 1 {
		t.Errorf("cutover to r3 with %s failing: exit %d, want 1", hosts[1], code)
	}
	wantApp(t, hosts, "r1")
	if strings.Contains(srvRead(t, hosts[2], "app/.drover/history"), "r3") {
		t.Errorf("%s (batch 3) switched after %s failed in batch 2", hosts[2], hosts[1])
	}
	if l := locked(hosts); len(l) > 0 {
		t.Errorf("locks left after the aborted cutover on %v", l)
	}
}

// TestBusyBoxLock: two cutovers at once on the BusyBox hosts; one runs,
// the other finds the farm locked (exit 4), and no lock is left.
func TestBusyBoxLock(t *testing.T) {
	needDrover(t, "run")
	needBusyBox(t)
	hosts := farm.BusyBoxNames
	source := installApp(t, hosts, bbList, "r1")
	a := startDrover(t, cutoverArgs(source, "r2", bbList)...)
	b := startDrover(t, cutoverArgs(source, "r2", bbList)...)
	codes := []int{a.wait(t), b.wait(t)}
	slices.Sort(codes)
	if !slices.Equal(codes, []int{0, 4}) {
		t.Fatalf("exit codes %v, want one run to finish (0) and the other to find the farm locked (4)", codes)
	}
	wantApp(t, hosts, "r2")
	if l := locked(hosts); len(l) > 0 {
		t.Errorf("locks left on %v", l)
	}
}

// TestBusyBoxShellStepTimeout: on the BusyBox hosts too (BusyBox ps, awk
// and grep find a step's processes), a plain step that runs out of time
// ends with its child and an orphan that left its session, and what an
// earlier step started in a session of its own runs on.
func TestBusyBoxShellStepTimeout(t *testing.T) {
	needDrover(t, "run")
	needBusyBox(t)
	t.Cleanup(func() {
		for _, n := range []string{"331", "332", "333"} {
			killFarmProcs(farmProcs(t, "sleep", n))
		}
	})
	rb := stepsRunbook(t,
		"daemon=setsid sleep 331 </dev/null >/dev/null 2>&1 &",
		"slow=sleep 332 & (setsid sleep 333 </dev/null >/dev/null 2>&1 &); wait\ttimeout = \"2s\"",
		"after=echo never")
	out, errOut, code := droverCmd(t, "run", rb, "-H", bbList, "--yes")
	if code != 1 || !strings.Contains(out, "timed out") {
		t.Fatalf("exit %d, want 1 with a timeout:\n%s\n%s", code, out, errOut)
	}
	waitFor(t, 10*time.Second, "the slow step's sleeps gone from every BusyBox host", func() bool {
		return len(farmProcs(t, "sleep", "332"))+len(farmProcs(t, "sleep", "333")) == 0
	})
	if n := len(farmProcs(t, "sleep", "331")); n != len(farm.BusyBoxNames) {
		t.Errorf("%d BusyBox hosts still run the first step's sleep, want %d", n, len(farm.BusyBoxNames))
	}
}
