//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostSetup runs script as root in host's namespace on a clean /srv/app
// (removed again when t ends), then gives /srv/app to deploy.
func hostSetup(t *testing.T, host, script string) {
	t.Helper()
	clean := func() { farmExecCode(t, host, "rm -rf /srv/app") }
	clean()
	t.Cleanup(clean)
	farmExec(t, host, "set -e; mkdir -p /srv/app; cd /srv/app; "+script+"; chown -R deploy: /srv/app")
}

// timedDrover runs drover with the farm's inventory and says how long it took.
func timedDrover(t *testing.T, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	start := time.Now()
	stdout, stderr, code = droverCmd(t, args...)
	return stdout, stderr, code, time.Since(start)
}

// TestReleaseFIFOsDoNotHang puts a FIFO where the lock owner or the
// history should be, on real hosts: drover must answer at once and say
// what is wrong, never wait on the FIFO.
func TestReleaseFIFOsDoNotHang(t *testing.T) {
	needDrover(t, "releases")
	hostSetup(t, "web01", "mkdir -p releases/r1 .drover/lock; ln -s releases/r1 current; mkfifo .drover/lock/owner")
	hostSetup(t, "web02", "mkdir -p releases/r1 releases/r2 .drover; ln -s releases/r1 current; mkfifo .drover/history")
	const bound = 20 * time.Second

	out, _, _, took := timedDrover(t, "releases", "-H", "web01")
	if took > bound || !strings.Contains(out, "web01") || !strings.Contains(out, "locked") {
		t.Errorf("releases with a FIFO owner: %v, output %q; want the lock shown at once", took, out)
	}
	_, errOut, code, took := timedDrover(t, "switchrel", "r1", "-H", "web01", "--yes")
	if took > bound || code != 4 || !strings.Contains(errOut, "no owner recorded") {
		t.Errorf("switchrel with a FIFO owner: exit %d after %v, stderr %q; want exit 4 at once", code, took, errOut)
	}
	out, errOut, _, took = timedDrover(t, "releases", "-H", "web02")
	if took > bound || !strings.Contains(out+errOut, "not a regular file") {
		t.Errorf("releases with a FIFO history: %v, output %q; want the error at once", took, out+errOut)
	}
	_, errOut, code, took = timedDrover(t, "switchrel", "r2", "-H", "web02", "--yes")
	if took > bound || code == 0 {
		t.Errorf("switchrel with a FIFO history: exit %d after %v; want a failure at once", code, took)
	}
	if cur := current("web02"); cur != "r1" {
		t.Errorf("web02: current %q, want r1 (nothing can be recorded)", cur)
	}
}

// TestUnfinishedUploadIsNoRelease leaves what an upload killed by older
// versions left, and what one killed now leaves, on a real host: neither
// is listed, and switchrel refuses them.
func TestUnfinishedUploadIsNoRelease(t *testing.T) {
	needDrover(t, "switchrel")
	hostSetup(t, "web03", "mkdir -p releases/r1/bin releases/r9.drover-tmp.4242/bin releases/.r9.drover-tmp.77; ln -s releases/r1 current")
	out, _, code := droverCmd(t, "releases", "-H", "web03")
	if code != 0 || strings.Contains(out, "drover-tmp") || !strings.Contains(out, "r1") {
		t.Errorf("releases: exit %d, output %q; want r1 only", code, out)
	}
	if _, _, code := droverCmd(t, "switchrel", "r9.drover-tmp.4242", "-H", "web03", "--yes"); code == 0 {
		t.Errorf("switchrel to an unfinished upload succeeded")
	}
	if cur := current("web03"); cur != "r1" {
		t.Errorf("current %q, want r1", cur)
	}
}

// republish is a runbook that uploads source as release {{ .release }},
// with no skip_if: what an operator forcing a re-upload runs.
const republish = `name = "republish"
[params.source]
required = true
[params.release]
required = true
[[stage]]
name = "pull"
  [[stage.step]]
  name   = "publish"
  upload = "{{ .source }}"
  to     = "/srv/app/releases/{{ .release }}"
`

// TestUploadKilledOnRealHost kills an upload on the host with SIGKILL
// (its shell and tar, as a crash or an OOM kill would: no trap runs), then
// drover: the host keeps no visible half tree, and the next upload of the
// same release cleans up and succeeds.
func TestUploadKilledOnRealHost(t *testing.T) {
	needDrover(t, "run")
	hostSetup(t, "web04", "mkdir -p releases")
	rel := "r9k" + farmNet // unique among the farms of this machine: the processes are found by it
	rb := writeIn(t, t.TempDir(), "republish.toml", republish)
	src := filepath.Join(t.TempDir(), "src")
	writeIn(t, src, "a/small", "x")
	writeIn(t, src, "z/big", strings.Repeat("0123456789abcdef", 8<<20)) // 128 MiB
	rels := srvPath("web04", "app/releases")

	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	defer cancel()
	c := droverCommand(ctx, "run", rb, "-H", "web04", "--yes", "--set", "source="+src, "--set", "release="+rel)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the upload to start writing", func() bool {
		m, _ := filepath.Glob(filepath.Join(rels, "*"+rel+".drover-tmp.*", "a"))
		return len(m) > 0
	})
	killUpload(t, rel, c.Process.Pid)
	c.Process.Kill()
	c.Wait()
	for _, e := range readDir(t, rels) {
		if !strings.HasPrefix(e, ".") {
			t.Errorf("a killed upload left %q in plain sight under releases/", e)
		}
	}
	out, _, _ := droverCmd(t, "releases", "-H", "web04")
	if strings.Contains(out, rel) {
		t.Errorf("releases lists the killed upload: %q", out)
	}
	if _, _, code := droverCmd(t, "run", rb, "-H", "web04", "--yes", "--set", "source="+src, "--set", "release="+rel); code != 0 {
		t.Fatalf("upload again: exit %d", code)
	}
	if got := readDir(t, rels); strings.Join(got, " ") != rel {
		t.Errorf("releases/ holds %q after the next upload, want %s only", got, rel)
	}
}

// killUpload sends SIGKILL to the host-side processes of the upload of
// release rel (its shell and tar, whose command lines name it), found by
// pid; drover itself (pid self) is left to the caller.
func killUpload(t *testing.T, rel string, self int) {
	t.Helper()
	out, _ := exec.Command("pgrep", "-f", "releases/[.]?"+rel).Output()
	var pids []string
	for _, f := range strings.Fields(string(out)) {
		if f != strconv.Itoa(self) {
			pids = append(pids, f)
		}
	}
	if len(pids) == 0 {
		t.Fatalf("no host-side process of the upload of %s found", rel)
	}
	exec.Command("kill", append([]string{"-KILL"}, pids...)...).Run()
	t.Logf("killed the upload's processes %v", pids)
}

// TestUploadOverLiveReleaseOnRealHost re-uploads the release current
// points to: the upload fails and the live tree stays as it was.
func TestUploadOverLiveReleaseOnRealHost(t *testing.T) {
	needDrover(t, "run")
	hostSetup(t, "web05", "mkdir -p releases/r1; echo old > releases/r1/old.txt; ln -s releases/r1 current")
	rb := writeIn(t, t.TempDir(), "republish.toml", republish)
	src := filepath.Join(t.TempDir(), "src")
	writeIn(t, src, "new.txt", "new")
	_, _, code := droverCmd(t, "run", rb, "-H", "web05", "--yes", "--set", "source="+src, "--set", "release=r1")
	if code != 1 {
		t.Errorf("upload over the live release: exit %d, want 1", code)
	}
	if got := strings.Join(readDir(t, srvPath("web05", "app/releases/r1")), " "); got != "old.txt" {
		t.Errorf("live release holds %q, want old.txt only", got)
	}
	if got := strings.Join(readDir(t, srvPath("web05", "app/releases")), " "); got != "r1" {
		t.Errorf("releases/ holds %q, want r1 only", got)
	}
}

// readDir lists dir, but for the manifests kept beside releases
// (.ID.drover-manifest), which belong with them.
func readDir(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		if n := e.Name(); !(strings.HasPrefix(n, ".") && strings.HasSuffix(n, ".drover-manifest")) {
			names = append(names, n)
		}
	}
	return names
}
