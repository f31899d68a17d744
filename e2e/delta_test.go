//go:build e2e

package e2e

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// publishRunbook uploads a tree as a release and switches to it.
const publishRunbook = `name = "publish"
[params.release]
help = "release id"
[params.source]
required = true
pattern = '[^\x00]+'
help = "the tree"
[release]
root = "/srv/delta"
[[stage]]
name = "publish"
parallel = 10
  [[stage.step]]
  name = "publish"
  upload = "{{ .source }}"
  to = "{{ .root }}/releases/{{ .release }}"
  [[stage.step]]
  switchrel = "{{ .release }}"
`

// deltaHosts are the hosts the delta tests publish to: web hosts and
// the BusyBox hosts.
func deltaHosts() ([]string, string) {
	hosts := slices.Clone(farm.Names[:6])
	list := "web[01:06]"
	if len(farm.BusyBoxNames) > 0 {
		hosts = append(hosts, farm.BusyBoxNames...)
		list += "," + bbList
	}
	return hosts, list
}

// deltaSetup gives a delta test its hosts, their -H list and the
// publish runbook, with /srv/delta removed on every host now and after.
func deltaSetup(t *testing.T) ([]string, string, string) {
	t.Helper()
	needDrover(t, "run")
	hosts, list := deltaHosts()
	clean := func() {
		for _, h := range hosts {
			os.RemoveAll(srvPath(h, "delta"))
		}
	}
	clean()
	t.Cleanup(clean)
	rb := filepath.Join(t.TempDir(), "publish.toml")
	writeFile(t, rb, publishRunbook)
	return hosts, list, rb
}

// makeTree writes n files of size bytes in 10 directories under dir, the
// content of file i drawn from i and salt.
func makeTree(t *testing.T, dir string, n, size int, salt string) {
	t.Helper()
	for i := range n {
		body := make([]byte, size)
		seed := sha256.Sum256([]byte(fmt.Sprint(salt, i)))
		for j := range body {
			body[j] = seed[j%len(seed)] ^ byte(j/len(seed))
		}
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%10), fmt.Sprintf("f%04d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// treeDigest lists a tree's entries with type, permissions and content
// hash (or link target), for comparing a host's release with the source.
func treeDigest(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := rel + " " + info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %x", sha256.Sum256(b))
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return out
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Sys().(*syscall.Stat_t).Ino
}

var linkedRe = regexp.MustCompile(`sent (\S+ \S+) in (\d+) files?, linked (\d+) files? from`)

// TestDeltaUpload publishes a release of 400 files, then a second one
// with 4 files changed, 1 added and 1 removed, to web and BusyBox hosts:
// the second upload sends only those, links the rest from the first
// (same inodes), and every host's release equals the local tree.
func TestDeltaUpload(t *testing.T) {
	hosts, list, rb := deltaSetup(t)
	v1, v2 := t.TempDir(), t.TempDir()
	makeTree(t, v1, 400, 2000, "v1")
	makeTree(t, v2, 400, 2000, "v1")
	for _, f := range []string{"d01/f0001", "d02/f0002", "d03/f0003", "d04/f0004"} {
		writeIn(t, v2, f, "changed "+f)
	}
	writeIn(t, v2, "new/added", "added")
	os.Remove(filepath.Join(v2, "d05/f0005"))
	if _, _, code := droverCmd(t, "run", rb, "-H", list, "--yes", "--set", "release=r1", "--set", "source="+v1); code != 0 {
		t.Fatalf("publish r1: exit %d", code)
	}
	out, _, code := droverCmd(t, "run", rb, "-H", list, "--yes", "--set", "release=r2", "--set", "source="+v2, "--json")
	if code != 0 {
		t.Fatalf("publish r2: exit %d", code)
	}
	reports := map[string]string{}
	for _, e := range jsonEvents(t, out) {
		if m := linkedRe.FindStringSubmatch(e.Line); m != nil && e.Step == "publish" {
			reports[e.Host] = e.Line
			if sent, _ := strconv.Atoi(m[2]); sent != 5 {
				t.Errorf("%s: %q, want 5 files sent", e.Host, e.Line)
			}
			if linked, _ := strconv.Atoi(m[3]); linked != 395 {
				t.Errorf("%s: %q, want 395 files linked", e.Host, e.Line)
			}
		}
	}
	want := treeDigest(t, v2)
	for _, h := range hosts {
		if reports[h] == "" {
			t.Errorf("%s: no delta report among the publish step's output", h)
		}
		r1, r2 := srvPath(h, "delta/releases/r1"), srvPath(h, "delta/releases/r2")
		if got := treeDigest(t, r2); !slices.Equal(got, want) {
			t.Errorf("%s: r2 differs from the local tree", h)
		}
		if inode(t, filepath.Join(r1, "d09/f0009")) != inode(t, filepath.Join(r2, "d09/f0009")) {
			t.Errorf("%s: an unchanged file does not share r1's inode", h)
		}
		if inode(t, filepath.Join(r1, "d01/f0001")) == inode(t, filepath.Join(r2, "d01/f0001")) {
			t.Errorf("%s: a changed file shares r1's inode", h)
		}
		if !srvExists(h, "delta/releases/.r2.drover-manifest") {
			t.Errorf("%s: no manifest kept beside r2", h)
		}
	}
	t.Logf("reports: %v", reports)
}

// TestDeltaUploadKilled: drover killed with SIGKILL in the middle of a
// delta upload leaves no release that releases lists or switchrel
// accepts; the next run completes it.
func TestDeltaUploadKilled(t *testing.T) {
	hosts, list, rb := deltaSetup(t)
	v1, v2 := t.TempDir(), t.TempDir()
	makeTree(t, v1, 100, 1000, "v1")
	makeTree(t, v2, 100, 1000, "v1")
	makeTree(t, filepath.Join(v2, "big"), 40, 1<<20, "big") // 40 MB new: a slow upload to kill
	if _, _, code := droverCmd(t, "run", rb, "-H", list, "--yes", "--set", "release=r1", "--set", "source="+v1); code != 0 {
		t.Fatalf("publish r1: exit %d", code)
	}
	p := startDrover(t, "run", rb, "-H", list, "--yes", "--set", "release=r2", "--set", "source="+v2)
	waitFor(t, 60*time.Second, "the upload of r2 to start on a host", func() bool {
		for _, h := range hosts {
			if m, _ := filepath.Glob(srvPath(h, "delta/releases/.r2.drover-tmp.*")); len(m) > 0 {
				return true
			}
		}
		return false
	})
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(t)
	if _, _, code := droverCmd(t, "unlock", "-H", list, "--root", "/srv/delta"); code != 0 {
		t.Fatalf("unlock after the kill: exit %d", code)
	}
	out, _, code := droverCmd(t, "releases", "-H", list, "--root", "/srv/delta")
	if code != 0 || strings.Contains(out, "r2") {
		t.Errorf("releases after the kill: exit %d, lists r2:\n%s", code, out)
	}
	if _, _, code := droverCmd(t, "switchrel", "r2", "-H", list, "--root", "/srv/delta", "--yes"); code == 0 {
		t.Errorf("switchrel r2 after the kill: exit 0, want a refusal")
	}
	for _, h := range hosts {
		if cur, _ := os.Readlink(srvPath(h, "delta/current")); strings.HasSuffix(cur, "r2") || srvExists(h, "delta/releases/r2") {
			t.Errorf("%s: a killed upload left r2 in place", h)
		}
	}
	if _, _, code := droverCmd(t, "run", rb, "-H", list, "--yes", "--set", "release=r2", "--set", "source="+v2); code != 0 {
		t.Fatalf("publish r2 again: exit %d", code)
	}
	want := treeDigest(t, v2)
	for _, h := range hosts {
		if got := treeDigest(t, srvPath(h, "delta/releases/r2")); !slices.Equal(got, want) {
			t.Errorf("%s: r2 differs from the local tree after the rerun", h)
		}
	}
}

// fetchPort is where the fetch tests' tunnel listens on each host.
const fetchPort = "18766"

// fetchRunbook fetches app.tar.gz from the directory drover serves, one
// host at a time (the farm's hosts share one loopback, so each host's end
// of the tunnel is open only while it runs), every host tried.
func fetchRunbook(serve string, tunnel bool) string {
	rb := `name = "pull"
[params.release]
help = "release id"
[params.sum]
required = true
help = "sha256 of app.tar.gz"
`
	if tunnel {
		rb += fmt.Sprintf("[[tunnel]]\nremote = \"127.0.0.1:%s\"\nserve  = %q\n", fetchPort, serve)
	}
	return rb + `[[stage]]
name = "pull"
parallel = 1
max_fail = "100%"
  [[stage.step]]
  name   = "fetch"
  fetch  = "http://127.0.0.1:` + fetchPort + `/app.tar.gz"
  to     = "/srv/fetch/releases/{{ .release }}"
  sha256 = "{{ .sum }}"
  timeout = "30s"
`
}

// TestFetchThroughTunnel: 10 hosts download a release from a directory
// drover serves, through a tunnel that exists only while drover runs:
// without the tunnel every host fails; with it the release arrives
// unpacked and checked; a corrupted source fails every host with a
// checksum mismatch and leaves no release.
func TestFetchThroughTunnel(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:10]
	clean := func() {
		for _, h := range hosts {
			os.RemoveAll(srvPath(h, "fetch"))
		}
	}
	clean()
	t.Cleanup(clean)
	src, serve := t.TempDir(), t.TempDir()
	makeTree(t, src, 50, 3000, "fetch")
	archive := filepath.Join(serve, "app.tar.gz")
	if out, err := exec.Command("tar", "-czf", archive, "-C", src, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	sum := fmt.Sprintf("%x", sha256.Sum256(b))
	run := func(tunnel bool, rel string) (string, int) {
		rb := writeIn(t, t.TempDir(), "pull.toml", fetchRunbook(serve, tunnel))
		out, _, code := droverCmd(t, "run", rb, "-H", "web[01:10]", "--yes", "--set", "release="+rel, "--set", "sum="+sum)
		return out, code
	}
	if _, code := run(false, "r0"); code != 1 {
		t.Errorf("without the tunnel: exit %d, want 1", code)
	}
	if _, code := run(true, "r1"); code != 0 {
		t.Fatalf("through the tunnel: exit %d, want 0", code)
	}
	want := treeDigest(t, src)
	for _, h := range hosts {
		if srvExists(h, "fetch/releases/r0") {
			t.Errorf("%s: r0 exists though the fetch failed", h)
		}
		if got := treeDigest(t, srvPath(h, "fetch/releases/r1")); !slices.Equal(got, want) {
			t.Errorf("%s: r1 differs from the served tree", h)
		}
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(archive, b, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, code := run(true, "r2")
	if code != 1 {
		t.Errorf("corrupted source: exit %d, want 1:\n%s", code, out)
	}
	_, events := lastJournal(t, start)
	for _, h := range hosts {
		if e, ok := hostEnd(events, "pull", h); !ok || e.Result != "failed" || !strings.Contains(e.Error, "checksum mismatch") {
			t.Errorf("%s: host.end %+v, want failed with a checksum mismatch", h, e)
		}
		if left, _ := filepath.Glob(srvPath(h, "fetch/releases/*r2*")); len(left) > 0 || srvExists(h, "fetch/releases/r2") {
			t.Errorf("%s: a failed fetch left %v", h, left)
		}
	}
}
