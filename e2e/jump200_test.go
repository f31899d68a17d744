//go:build e2e

package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestJump200 runs exec on 200 real hosts behind one jump host whose sshd
// keeps OpenSSH's defaults (MaxStartups 10:30:100, MaxSessions 10): every
// host answers, the jump host sees at most 2 TCP connections from drover,
// and the wall time stays within 1.3 × the same exec without the jump.
func TestJump200(t *testing.T) {
	needDrover(t, "exec")
	net, _ := strconv.Atoi(cmp.Or(os.Getenv("DROVER_E2E_JUMP_NET"), "111"))
	dir := t.TempDir()
	big := startBigFarm(t, dir, 200, net)
	jumpAddr := fmt.Sprintf("127.0.%d.250", net+1)
	jumpLog := startDefaultSSHD(t, dir, jumpAddr)
	direct := big
	viaJump := writeJumpInventory(t, big, dir, "root@"+jumpAddr)

	var directs, jumps []time.Duration
	for i := 0; i < 3; i++ {
		directs = append(directs, timeExec(t, direct, 200))
		before := strings.Count(readOr(jumpLog), "Connection from")
		jumps = append(jumps, timeExec(t, viaJump, 200))
		if n := strings.Count(readOr(jumpLog), "Connection from") - before; n > 2 {
			t.Errorf("run %d: the jump host accepted %d TCP connections, want at most 2", i+1, n)
		}
	}
	d, j := median(directs), median(jumps)
	t.Logf("exec true on 200 hosts: direct %v (median of %v), through the jump %v (median of %v): %.2f×", d, directs, j, jumps, float64(j)/float64(d))
	if float64(j) > 1.3*float64(d) {
		t.Errorf("through the jump %v, direct %v: %.2f×, want at most 1.3×", j, d, float64(j)/float64(d))
	}
}

// startBigFarm starts a shared farm of n hosts (one sshd per 16) on net
// and returns its inventory.
func startBigFarm(t *testing.T, dir string, n, net int) string {
	t.Helper()
	fdir := filepath.Join(dir, "farm")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	up := exec.CommandContext(ctx, farmScript, "up", strconv.Itoa(n), "--shared", "--net", strconv.Itoa(net), "--dir", fdir)
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("farm up %d: %v\n%s", n, err, out)
	}
	t.Cleanup(func() { exec.Command(farmScript, "down", "--dir", fdir).Run() })
	return filepath.Join(fdir, "inventory.toml")
}

// startDefaultSSHD runs an sshd on addr:22 whose config sets none of the
// limits (OpenSSH's defaults), logging every connection, and lets the
// farm's key log in as root. It returns the log file.
func startDefaultSSHD(t *testing.T, dir, addr string) string {
	t.Helper()
	jdir := filepath.Join(dir, "jump")
	if err := os.MkdirAll(jdir, 0o700); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(jdir, "host_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	cfg := fmt.Sprintf("ListenAddress %s:22\nHostKey %s\nPidFile %s/sshd.pid\nUsePAM no\nStrictModes no\n"+
		"AuthorizedKeysFile %s\nPermitRootLogin prohibit-password\nAllowTcpForwarding yes\nLogLevel VERBOSE\n",
		addr, key, jdir, filepath.Join(dir, "farm", "authorized_keys"))
	writeIn(t, jdir, "sshd_config", cfg)
	log := filepath.Join(jdir, "sshd.log")
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-f", filepath.Join(jdir, "sshd_config"), "-E", log)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, 20*time.Second, "the jump host's sshd", func() bool {
		return strings.Contains(readOr(log), "Server listening on "+addr)
	})
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	known := filepath.Join(dir, "farm", "known_hosts")
	f, err := os.OpenFile(known, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fields := strings.Fields(string(pub))
	fmt.Fprintf(f, "%s %s %s\n", addr, fields[0], fields[1])
	return log
}

// writeJumpInventory is the farm's inventory with every host behind jump.
func writeJumpInventory(t *testing.T, inventory, dir, jump string) string {
	t.Helper()
	b, err := os.ReadFile(inventory)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "[defaults]\n", "[defaults]\njump = \""+jump+"\"\n", 1)
	return writeIn(t, dir, "jump-inventory.toml", text)
}

// timeExec runs `drover exec -- true` on every host of inventory at
// parallel p and returns its wall time; any host not ok fails the test.
func timeExec(t *testing.T, inventory string, p int) time.Duration {
	t.Helper()
	start := time.Now()
	stdout, stderr, code := droverRunQuiet(t, inventory, "exec", "-g", "web", "-p", strconv.Itoa(p), "--", "true")
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("drover exec on %s: exit %d\n%s\n%s", filepath.Base(inventory), code, lastLines(stdout, 20), lastLines(stderr, 20))
	}
	return took
}

// droverRunQuiet is droverRun without logging the whole output.
func droverRunQuiet(t *testing.T, inventory string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	defer cancel()
	c := droverInventoryCommand(ctx, inventory, args...)
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	code := exitStatus(t, c.Run())
	return out.String(), errb.String(), code
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
