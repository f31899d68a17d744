//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestExecFoldsOutput(t *testing.T) {
	needDrover(t, "exec")
	t.Run("every host answers, exit 0", func(t *testing.T) {
		out, _, code := droverCmd(t, "exec", "-g", "web", "--", "cat /etc/hostname; id -un")
		if code != 0 {
			t.Fatalf("exit %d, want 0", code)
		}
		for _, name := range farm.Names {
			if !strings.Contains(out, name) {
				t.Errorf("output lacks %s", name)
			}
		}
	})
	t.Run("identical answers are folded", func(t *testing.T) {
		out, _, code := droverCmd(t, "exec", "-g", "web", "--", "id -un")
		if code != 0 {
			t.Fatalf("exit %d, want 0", code)
		}
		if n := strings.Count(out, "deploy"); n == 0 || n >= len(farm.Names) {
			t.Errorf("%q appears %d times for %d hosts, want it folded", "deploy", n, len(farm.Names))
		}
	})
}

func TestExecNamesFailedHosts(t *testing.T) {
	needDrover(t, "exec")
	failing := map[string]int{"web05": 3, "web09": 4, "web13": 5}
	for host, code := range failing {
		farmExec(t, host, fmt.Sprintf("echo %d > /srv/e2e-fail", code))
		t.Cleanup(func() { farmExec(t, host, "rm -f /srv/e2e-fail") })
	}
	out, errOut, code := droverCmd(t, "exec", "-g", "web", "--",
		"if [ -e /srv/e2e-fail ]; then exit $(cat /srv/e2e-fail); fi; echo fine")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	all := out + errOut
	for host, want := range failing {
		re := regexp.MustCompile(`(?m)^.*` + host + `\b.*exit ` + fmt.Sprint(want) + `\b`)
		if !re.MatchString(all) {
			t.Errorf("no line names %s with exit %d", host, want)
		}
	}
	if !strings.Contains(out, "fine") {
		t.Errorf("the other hosts' output is missing")
	}
}

func TestExecHostKeys(t *testing.T) {
	needDrover(t, "exec")
	kh := filepath.Join(t.TempDir(), "known_hosts")
	unknown, changed := "web03", "web04"
	writeKnownHostsWithout(t, kh, farm.Addr(t, unknown))
	marker := "/srv/e2e-hostkeys"
	t.Cleanup(func() { onAllHosts(t, "rm -f "+marker) })

	t.Run("unknown key stops before any command runs", func(t *testing.T) {
		out, errOut, code := droverCmd(t, "exec", "-g", "web", "--known-hosts", kh, "--", "touch "+marker)
		if code != 2 {
			t.Errorf("exit %d, want 2", code)
		}
		all := out + errOut
		for _, want := range []string{unknown, fingerprint(t, unknown), "--accept-new-host-keys"} {
			if !strings.Contains(all, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		for _, name := range farm.Names {
			if _, code := farmExecCode(t, name, "test -e "+marker); code == 0 {
				t.Errorf("%s ran the command", name)
			}
		}
	})
	t.Run("accept-new-host-keys records the key", func(t *testing.T) {
		_, _, code := droverCmd(t, "exec", "-g", "web", "--known-hosts", kh, "--accept-new-host-keys", "--", "true")
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		if b, _ := os.ReadFile(kh); !strings.Contains(string(b), strings.Fields(farm.HostKey(t, unknown))[1]) {
			t.Errorf("%s lacks %s's key:\n%s", kh, unknown, b)
		}
	})
	t.Run("changed key is refused even with accept-new-host-keys", func(t *testing.T) {
		line := knownHostsLine(t, kh, farm.Addr(t, changed))
		farmDo(t, "rekey", changed)
		t.Cleanup(func() { farm.TrustCurrentKey(t, changed) })
		out, errOut, code := droverCmd(t, "exec", "-g", "web", "--known-hosts", kh, "--accept-new-host-keys", "--", "touch "+marker)
		if code == 0 {
			t.Errorf("exit 0, want the changed key refused")
		}
		if want := fmt.Sprintf("%s:%d", kh, line); !strings.Contains(out+errOut, want) {
			t.Errorf("output does not name %s", want)
		}
		if _, code := farmExecCode(t, changed, "test -e "+marker); code == 0 {
			t.Errorf("%s ran the command despite its changed key", changed)
		}
	})
}

func TestExecUnreachableHost(t *testing.T) {
	needDrover(t, "exec")
	down := "web07"
	farmDo(t, "kill", down)
	t.Cleanup(func() { farmDo(t, "restart", down) })
	out, errOut, code := droverCmd(t, "exec", "-g", "web", "--", "cat /etc/hostname")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !regexp.MustCompile(`(?mi)^.*` + down + `\b.*unreachable`).MatchString(out + errOut) {
		t.Errorf("%s is not reported unreachable", down)
	}
	for _, name := range farm.Names {
		if name != down && !strings.Contains(out, name) {
			t.Errorf("output lacks %s's answer", name)
		}
	}
}

// TestExecFrozenHost freezes a host (kill -STOP) after drover logged in: it
// must be reported lost within 20s, while the others' answers stream in
// (-v) as soon as they are ready.
func TestExecFrozenHost(t *testing.T) {
	needDrover(t, "exec")
	frozen := "web08"
	const remoteSleep = 4 * time.Second
	const login = "Accepted publickey for deploy"
	before := map[string]int{}
	for _, name := range farm.Names {
		before[name] = strings.Count(farm.SSHDLog(t, name), login)
	}
	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	defer cancel()
	c := droverCommand(ctx, "exec", "-g", "web", "-v", "--", fmt.Sprintf("sleep %d; cat /etc/hostname", int(remoteSleep.Seconds())))
	out := newLineClock()
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		t.Fatalf("start drover: %v", err)
	}
	// Every host is in its sleep when web08 freezes, so each answer is
	// due remoteSleep after it at the latest, whatever the load.
	waitFor(t, 30*time.Second, "drover to log in on every host", func() bool {
		for _, name := range farm.Names {
			if strings.Count(farm.SSHDLog(t, name), login) <= before[name] {
				return false
			}
		}
		return true
	})
	farmDo(t, "stop", frozen)
	t.Cleanup(func() { farmDo(t, "cont", frozen) })
	stopped := time.Now()
	code := exitStatus(t, c.Wait())
	took := time.Since(stopped)
	t.Logf("drover: exit %d after %v\n%s", code, took, out.String())
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if took > 22*time.Second { // 20s, and time for drover to print and exit
		t.Errorf("drover took %v after the host froze, want the loss found within 20s", took)
	}
	if !regexp.MustCompile(`(?mi)^.*` + frozen + `\b.*lost`).MatchString(out.String()) {
		t.Errorf("%s is not reported lost", frozen)
	}
	for _, name := range farm.Names {
		if name == frozen {
			continue
		}
		at, ok := out.Arrived(name + " | " + name)
		switch {
		case !ok:
			t.Errorf("output lacks the line %q", name+" | "+name)
		case at.Sub(stopped) > remoteSleep+3*time.Second:
			t.Errorf("%s's answer came %v after the freeze, delayed by the frozen host", name, at.Sub(stopped))
		}
	}
}

func TestExecInterrupt(t *testing.T) {
	needDrover(t, "exec")
	tests := []struct {
		name string
		args []string
	}{
		{"as deploy", nil},
		{"as root", []string{"-u", "root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(func() { killFarmProcs(farmProcs(t, "sleep", "600")) })
			ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
			defer cancel()
			args := append(append([]string{"exec", "-g", "web"}, tt.args...), "--", "sleep 600")
			c := droverCommand(ctx, args...)
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			if err := c.Start(); err != nil {
				t.Fatalf("start drover: %v", err)
			}
			waitFor(t, 30*time.Second, "sleep 600 on every host", func() bool {
				return len(farmProcs(t, "sleep", "600")) == len(farm.Names)
			})
			if err := c.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatalf("interrupt drover: %v", err)
			}
			gone := waitFor(t, 10*time.Second, "no sleep 600 left on any host", func() bool {
				return len(farmProcs(t, "sleep", "600")) == 0
			})
			code := exitStatus(t, c.Wait())
			t.Logf("drover: exit %d, remote commands gone after %v\n%s", code, gone, out.String())
			if gone > 3*time.Second {
				t.Errorf("remote commands ended %v after Ctrl-C, want within 3s", gone)
			}
			if code != 130 {
				t.Errorf("exit %d, want 130", code)
			}
		})
	}
}

func TestExecProxyJump(t *testing.T) {
	needDrover(t, "exec")
	jump, target := "web01", "web02"
	inv := filepath.Join(t.TempDir(), "inventory.toml")
	writeFile(t, inv, fmt.Sprintf(`[defaults]
user = "deploy"
identity = %q
known_hosts = %q
jump = %q

[hosts.%q]
hostname = %q
port = 22
`, farm.Key(), farm.KnownHosts(), farm.Addr(t, jump), target, farm.Addr(t, target)))
	// The jump hop may log in as another user than the target (OpenSSH
	// uses the local user for a jump host without user@), so count any login.
	before := strings.Count(farm.SSHDLog(t, jump), "Accepted publickey for ")
	// The jump host's sshd opens the onward connection; the target finds
	// the process that owns the other end and names its host.
	cmd := `set -- $SSH_CONNECTION; ` +
		`pid=$(sudo -n ss -Htnp state established "( sport = :$2 )" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1); ` +
		`echo "via=$(sudo -n cat /proc/$pid/root/etc/hostname)"`
	out, errOut, code := droverRun(t, inv, "exec", "-H", target, "--", cmd)
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	if !strings.Contains(out+errOut, "via="+jump) {
		t.Errorf("the connection to %s did not come through %s", target, jump)
	}
	if after := strings.Count(farm.SSHDLog(t, jump), "Accepted publickey for "); after <= before {
		t.Errorf("%s's sshd log shows no new login:\n%s", jump, farm.SSHDLog(t, jump))
	}
}

// writeKnownHostsWithout writes the farm's known_hosts to path, without addr.
func writeKnownHostsWithout(t testing.TB, path, addr string) {
	t.Helper()
	b, err := os.ReadFile(farm.KnownHosts())
	if err != nil {
		t.Fatalf("read known_hosts: %v", err)
	}
	var keep []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasPrefix(line, addr+" ") {
			keep = append(keep, line)
		}
	}
	writeFile(t, path, strings.Join(keep, "\n")+"\n")
}

// knownHostsLine is the 1-based line of addr in a known_hosts file.
func knownHostsLine(t testing.TB, path, addr string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, addr+" ") {
			return i + 1
		}
	}
	t.Fatalf("%s has no line for %s", path, addr)
	return 0
}

// fingerprint is host name's key fingerprint as OpenSSH prints it.
func fingerprint(t testing.TB, name string) string {
	t.Helper()
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(farm.HostKey(t, name)))
	if err != nil {
		t.Fatalf("parse host key of %s: %v", name, err)
	}
	return ssh.FingerprintSHA256(key)
}

// onAllHosts runs cmd as root on every farm host.
func onAllHosts(t testing.TB, cmd string) {
	t.Helper()
	for _, name := range farm.Names {
		farmExec(t, name, cmd)
	}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}
