//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Helpers for the tests of an operator's SSH setup: a real ssh-agent, keys
// made with ssh-keygen, ssh_config files, and OpenSSH's own client run with
// the same agent, keys and files as drover, so a failure says whether the
// farm or drover is wrong.

// needReal skips the test when a tool it drives is missing, and fails it
// instead under CI=true, where every real part must run.
func needReal(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("needs %s: %v", tool, err)
			}
			t.Skipf("needs %s: %v", tool, err)
		}
	}
}

// needDropbear is needReal for the farm's Dropbear hosts.
func needDropbear(t testing.TB) {
	t.Helper()
	if len(farm.DropbearNames) > 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("the farm has no Dropbear hosts: install dropbear-bin (%s)", dropbearBin)
	}
	t.Skipf("the farm has no Dropbear hosts: %s is not installed", dropbearBin)
}

// startAgent runs a real ssh-agent in the foreground on a socket of its
// own and returns the socket; the agent is killed when t ends.
func startAgent(t testing.TB) string {
	t.Helper()
	needReal(t, "ssh-agent", "ssh-add")
	sock := filepath.Join(t.TempDir(), "agent.sock")
	c := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := c.Start(); err != nil {
		t.Fatalf("start ssh-agent: %v", err)
	}
	t.Cleanup(func() {
		c.Process.Kill()
		c.Wait()
	})
	waitFor(t, 10*time.Second, "the agent's socket", func() bool {
		_, err := os.Stat(sock)
		return err == nil
	})
	return sock
}

// agentAdd loads key into the agent on sock with ssh-add, which reads the
// passphrase (if any) from an SSH_ASKPASS program, not from a terminal.
func agentAdd(t testing.TB, sock, key, passphrase string) {
	t.Helper()
	askpass := writeIn(t, t.TempDir(), "askpass", "#!/bin/sh\nprintf '%s\\n' "+shellQuote(passphrase)+"\n")
	if err := os.Chmod(askpass, 0o700); err != nil {
		t.Fatalf("chmod %s: %v", askpass, err)
	}
	c := exec.Command("ssh-add", key)
	c.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no terminal to ask on
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add %s: %v\n%s", key, err, out)
	}
}

// newKeys makes n unencrypted ed25519 keys with ssh-keygen, authorized
// nowhere, and returns their paths.
func newKeys(t testing.TB, n int) []string {
	t.Helper()
	dir := t.TempDir()
	var keys []string
	for i := range n {
		key := filepath.Join(dir, fmt.Sprintf("unrelated%d", i))
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "unrelated", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
		keys = append(keys, key)
	}
	return keys
}

// openssh runs OpenSSH's client with args and the extra environment (and
// no agent unless env names one), without a terminal, and returns its
// combined output and exit code. BatchMode keeps it from asking anything.
func openssh(t testing.TB, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "ssh", append([]string{"-o", "BatchMode=yes", "-o", "GlobalKnownHostsFile=/dev/null"}, args...)...)
	c.Env = append(withoutAgent(os.Environ()), env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	code := exitStatus(t, c.Run())
	t.Logf("ssh %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
	return out.String(), code
}

// withoutAgent is env without SSH_AUTH_SOCK.
func withoutAgent(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "SSH_AUTH_SOCK=") {
			out = append(out, kv)
		}
	}
	return out
}

// droverNoTTY runs drover with the inventory, the extra environment and
// no terminal at all (a new session, stdin /dev/null), so it cannot ask.
func droverNoTTY(t testing.TB, env []string, inventory string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	defer cancel()
	c := droverInventoryCommand(ctx, inventory, args...)
	c.Env = append(c.Env, env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	code = exitStatus(t, c.Run())
	t.Logf("drover %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return out.String(), errb.String(), code
}

// writeInventory writes an inventory of the farm hosts named, with the
// given [defaults] lines, and returns its path.
func writeInventory(t testing.TB, defaults string, hosts []string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[defaults]\n%s\n", defaults)
	for _, h := range hosts {
		fmt.Fprintf(&b, "\n[hosts.%q]\nhostname = %q\nport = 22\n", h, farm.Addr(t, h))
	}
	return writeIn(t, t.TempDir(), "inventory.toml", b.String())
}

// keyFingerprint is the SHA256 fingerprint of the public key file path.
func keyFingerprint(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if cert, ok := key.(*ssh.Certificate); ok {
		key = cert.Key
	}
	return ssh.FingerprintSHA256(key)
}

// logins counts the public key logins of user with the key of fingerprint
// fp in each host's sshd log.
func logins(t testing.TB, hosts []string, user, fp string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, h := range hosts {
		for _, line := range strings.Split(farm.SSHDLog(t, h), "\n") {
			if strings.Contains(line, "Accepted publickey for "+user+" ") && strings.Contains(line, fp) {
				n[h]++
			}
		}
	}
	return n
}

// wantNewLogins checks that every host has more logins than before.
func wantNewLogins(t testing.TB, before, after map[string]int, hosts []string, what string) {
	t.Helper()
	for _, h := range hosts {
		if after[h] <= before[h] {
			t.Errorf("%s: its sshd log shows no new login %s", h, what)
		}
	}
}

// sameFile fails t unless the file at path still holds want.
func sameFile(t testing.TB, path, want string) {
	t.Helper()
	if got := readOr(path); got != want {
		t.Errorf("%s changed:\n%s\nwant:\n%s", path, got, want)
	}
}
