//go:build e2e && chaos

package e2e

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chaosScenarios is the table: every fault the suite knows, at the phases
// where it matters.
func chaosScenarios() []scenario {
	return []scenario{
		{fault: "sshd killed", phase: "pre-flight", setup: hostDown("web05"), repair: hostUp("web05"),
			codes: []int{1}, want: "r2", lost: []string{"web05"}},
		{fault: "sshd killed", phase: "upload", big: true, during: at(uploading("web07"), killHost("web07")),
			repair: hostUp("web07"), codes: []int{1}, want: "r1", lost: []string{"web07"}},
		{fault: "sshd killed", phase: "switch", during: at(switched("web01"), killHost("web06")),
			repair: hostUp("web06"), codes: []int{1}, want: "r1", lost: []string{"web06"}},
		{fault: "sshd killed", phase: "restart", during: at(restarting("web02"), killHost("web02")),
			repair: hostUp("web02"), codes: []int{1}, want: "r1", lost: []string{"web02"}},
		{fault: "sshd killed", phase: "undo", setup: failRelease("web03"), during: at(failedOn("web03"), killHost("web01")),
			repair: hostUp("web01"), codes: []int{1}, want: "r1", lost: []string{"web01"}},
		{fault: "host frozen", phase: "pre-flight", setup: freeze("web04"), repair: thaw("web04"),
			codes: []int{1}, want: "r2", lost: []string{"web04"}},
		{fault: "host frozen", phase: "switch", during: at(switched("web01"), freezeNow("web05")),
			repair: thaw("web05"), codes: []int{1}, want: "r1", lost: []string{"web05"}},
		{fault: "host frozen", phase: "watch", during: at(watching("web01"), freezeNow("web01")),
			repair: thaw("web01"), codes: []int{1}, want: "r1", lost: []string{"web01"}},
		{fault: "host key swapped", phase: "pre-flight", setup: rekey("web08"), repair: trustKey("web08"),
			codes: []int{2}, want: "r1"},
		{fault: "host key swapped", phase: "restart", during: at(restarting("web01"), rekeyNow("web01")),
			repair: trustKey("web01"), codes: []int{1}, want: "r1", lost: []string{"web01"}},
		{fault: "drover SIGKILL", phase: "pre-flight", during: after(50*time.Millisecond, signal(syscall.SIGKILL)),
			codes: []int{137}, resume: []int{0}, want: "r2"},
		{fault: "drover SIGKILL", phase: "lock", during: at(lockedOn("web01"), signal(syscall.SIGKILL)),
			codes: []int{137}, resume: []int{0}, want: "r2"},
		{fault: "drover SIGKILL", phase: "upload", big: true, during: at(uploading("web03"), signal(syscall.SIGKILL)),
			codes: []int{137}, resume: []int{0}, want: "r2"},
		{fault: "drover SIGKILL", phase: "switch", during: at(switched("web02"), signal(syscall.SIGKILL)),
			codes: []int{137}, resume: []int{0}, want: "r2"},
		{fault: "drover SIGKILL", phase: "restart", during: at(restarting("web01"), signal(syscall.SIGKILL)),
			codes: []int{137}, resume: []int{0}, want: "r2"},
		{fault: "drover SIGKILL", phase: "watch", during: at(watching("web04"), signal(syscall.SIGKILL)),
			codes: []int{137}, resume: []int{0}, want: "r2"},
		{fault: "drover SIGKILL", phase: "undo", setup: failRelease("web03"), during: at(failedOn("web03"), signal(syscall.SIGKILL)),
			codes: []int{137}, resume: []int{1}, want: "r1"},
		{fault: "Ctrl-C twice", phase: "switch", during: at(switched("web02"), interruptTwice),
			codes: []int{130}, resume: []int{0}, want: "r2"},
		{fault: "Ctrl-C", phase: "restart", during: at(restarting("web01"), signal(syscall.SIGINT)),
			codes: []int{130}, resume: []int{0}, want: "r2"},
		{fault: "SIGTERM", phase: "watch", during: at(watching("web01"), signal(syscall.SIGTERM)),
			codes: []int{130}, resume: []int{0}, want: "r2"},
		{fault: "disk full", phase: "upload", big: true, setup: diskFull("web04"), repair: diskBack("web04"),
			codes: []int{1}, want: "r1"},
		{fault: "read-only release root", phase: "switch", during: at(switched("web01"), readOnly("web05")),
			repair: readWrite("web05"), codes: []int{1}, want: "r1", stuck: []string{"web05"}},
		{fault: "FIFO at the lock owner", phase: "lock", setup: fifoLock("web06"), repair: removeLock("web06"),
			codes: []int{4}, want: "r1"},
		{fault: "1 GB of output", phase: "report", setup: flood("web02", 1<<30), codes: []int{0}, want: "r2"},
		{fault: "escapes and the secret", phase: "report", setup: banner("web03"), codes: []int{0}, want: "r2",
			args: []string{"-v"}},
		{fault: "sudo password wrong", phase: "sudo", setup: sudoWrong("web04"), repair: sudoRight("web04"),
			codes: []int{1}, want: "r1"},
		{fault: "two operators at once", phase: "lock", codes: []int{0, 4}, want: "r2"},
		{fault: "network dropped", phase: "upload", big: true, during: at(uploading("web09"), dropNet("web09")),
			repair: restoreNet("web09"), codes: []int{1}, want: "r1", lost: []string{"web09"}},
	}
}

// at waits for the trigger, then injects the fault; a trigger that never
// comes is a problem of the row: the fault was not where it says.
func at(trigger func() bool, fault func(t *testing.T, c *chaosRun)) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) {
		if !c.waitUntil(trigger) {
			c.mu.Lock()
			c.missed = true
			c.mu.Unlock()
			return
		}
		fault(t, c)
	}
}

func after(d time.Duration, fault func(t *testing.T, c *chaosRun)) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { time.Sleep(d); fault(t, c) }
}

// Triggers: what a host shows at each phase.

func uploading(h string) func() bool {
	return func() bool {
		found := false
		filepath.WalkDir(srvPath(h, "app"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Name() == "big" && !strings.Contains(p, "/releases/r1/") {
				found = true
				return filepath.SkipAll
			}
			return nil
		})
		return found
	}
}

func switched(h string) func() bool { return func() bool { return current(h) == "r2" } }
func lockedOn(h string) func() bool { return func() bool { return srvExists(h, "app/.drover/lock") } }
func watching(h string) func() bool { return func() bool { return readState(h) == "starting r2" } }
func failedOn(h string) func() bool { return func() bool { return readState(h) == "failed r2" } }
func restarting(h string) func() bool {
	return func() bool { s := readState(h); return s == "restarting" || s == "starting r2" }
}

func readState(h string) string { return strings.TrimSpace(readOr(srvPath(h, "app/state"))) }

// Faults on drover.

func signal(sig syscall.Signal) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { c.signal(t, sig) }
}

func interruptTwice(t *testing.T, c *chaosRun) {
	c.signal(t, syscall.SIGINT)
	time.Sleep(200 * time.Millisecond)
	c.signal(t, syscall.SIGINT)
}

// Faults on hosts, and their repairs.

func hostDown(h string) func(t *testing.T, c *chaosRun) { return killHost(h) }
func killHost(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farmDo(t, "kill", h) }
}
func hostUp(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farmDo(t, "restart", h) }
}
func freeze(h string) func(t *testing.T, c *chaosRun) { return freezeNow(h) }
func freezeNow(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farmDo(t, "stop", h) }
}
func thaw(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farmDo(t, "cont", h) }
}
func rekey(h string) func(t *testing.T, c *chaosRun) { return rekeyNow(h) }
func rekeyNow(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farmDo(t, "rekey", h) }
}
func trustKey(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farm.TrustCurrentKey(t, h) }
}

func failRelease(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { writeIn(t, srvPath(h, "app"), "fail-r2", "") }
}

// diskFull puts host h's /srv/app on a 4 MB tmpfs holding what it held.
func diskFull(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) {
		farmExec(t, h, "cp -a /srv/app /srv/.app-keep && mount -t tmpfs -o size=4m tmpfs /srv/app && "+
			"cp -a /srv/.app-keep/. /srv/app/ && rm -rf /srv/.app-keep && chown deploy: /srv/app")
	}
}

// diskBack copies the tmpfs back onto the disk, keeping what drover left.
func diskBack(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) {
		farmExec(t, h, "cp -a /srv/app /srv/.app-keep && umount -l /srv/app && rm -rf /srv/app && "+
			"mv /srv/.app-keep /srv/app")
	}
}

func readOnly(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) {
		farmExec(t, h, "mount --bind /srv/app /srv/app && mount -o remount,ro,bind /srv/app")
	}
}
func readWrite(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farmExecCode(t, h, "umount -l /srv/app") }
}

func fifoLock(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) {
		farmExec(t, h, "mkdir -p /srv/app/.drover/lock && mkfifo /srv/app/.drover/lock/owner && chown -R deploy: /srv/app/.drover")
	}
}
func removeLock(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farmExec(t, h, "rm -rf /srv/app/.drover/lock") }
}

func flood(h string, n int) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { writeIn(t, srvPath(h, "app"), "flood", strconv.Itoa(n)) }
}

// chaosBanner is what a hostile host prints: a clipboard write, a line
// erase and a cursor move around a fake "ok", and the secret.
const chaosBanner = "\x1b]52;c;aGVsbG8=\a\x1b[2K\x1b[1A\rexit 0 ok\x1b[0m " + chaosSecret + "\n"

func banner(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { writeIn(t, srvPath(h, "app"), "banner", chaosBanner) }
}

func sudoWrong(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farmExec(t, h, "echo 'deploy:not-the-secret' | chpasswd") }
}
func sudoRight(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { farmExec(t, h, "echo 'deploy:"+chaosSecret+"' | chpasswd") }
}

// dropNet freezes host h's SSH sessions but not its listener: the
// connections in flight stop answering, as with a cable pulled mid-transfer.
func dropNet(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { sessionSignal(t, h, syscall.SIGSTOP) }
}
func restoreNet(h string) func(t *testing.T, c *chaosRun) {
	return func(t *testing.T, c *chaosRun) { sessionSignal(t, h, syscall.SIGCONT) }
}

// sessionSignal sends sig to every process on host h but its sshd listener.
func sessionSignal(t *testing.T, h string, sig syscall.Signal) {
	unit, err := os.ReadFile(filepath.Join(farm.Dir, "hosts", h, "unit"))
	if err != nil {
		t.Fatalf("unit of %s: %v", h, err)
	}
	u := strings.TrimSpace(string(unit))
	listener, _ := os.ReadFile(filepath.Join(u, "sshd.pid"))
	ns, err := os.ReadFile(filepath.Join(u, "mntns"))
	if err != nil {
		t.Fatalf("namespace of %s: %v", h, err)
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || e.Name() == strings.TrimSpace(string(listener)) {
			continue
		}
		if l, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "mnt")); err == nil && l == strings.TrimSpace(string(ns)) {
			syscall.Kill(pid, sig)
		}
	}
}
