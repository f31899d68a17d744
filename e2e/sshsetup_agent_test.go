//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The usual laptop: ~/.ssh/id_ed25519 has a passphrase and sits in
// ssh-agent. The farm's id_pass is that key: authorized everywhere,
// encrypted with the passphrase in id_pass.passphrase.

// passKey is the encrypted key and its passphrase.
func passKey(t testing.TB) (key, passphrase string) {
	t.Helper()
	key = farm.File("id_pass")
	return key, strings.TrimSpace(readOr(key + ".passphrase"))
}

// passInventory is an inventory of the web hosts whose identity is the
// encrypted key.
func passInventory(t testing.TB) string {
	t.Helper()
	key, _ := passKey(t)
	return writeInventory(t, fmt.Sprintf("user = \"deploy\"\nidentity = %q\nknown_hosts = %q\n", key, farm.KnownHosts()), farm.Names)
}

// TestSSHSetupAgentHoldsEncryptedKey: the encrypted identity is in the
// agent, so it is used through the agent and nothing is asked.
func TestSSHSetupAgentHoldsEncryptedKey(t *testing.T) {
	needDrover(t, "exec")
	key, passphrase := passKey(t)
	sock := startAgent(t)
	agentAdd(t, sock, key, passphrase)
	agentEnv := []string{"SSH_AUTH_SOCK=" + sock}
	t.Run("openssh", func(t *testing.T) {
		if _, code := openssh(t, nil, "-F", "/dev/null", "-i", key, "-o", "UserKnownHostsFile="+farm.KnownHosts(),
			"deploy@"+farm.Addr(t, farm.Names[0]), "true"); code != 255 {
			t.Errorf("without the agent: exit %d, want 255 (the key must be encrypted)", code)
		}
		for _, name := range farm.Names {
			if _, code := openssh(t, agentEnv, "-F", "/dev/null", "-i", key, "-o", "UserKnownHostsFile="+farm.KnownHosts(),
				"deploy@"+farm.Addr(t, name), "true"); code != 0 {
				t.Errorf("%s: ssh with the key in the agent: exit %d, want 0", name, code)
			}
		}
	})
	t.Run("drover", func(t *testing.T) {
		fp := keyFingerprint(t, key+".pub")
		before := logins(t, farm.Names, "deploy", fp)
		out, errOut, code := droverNoTTY(t, agentEnv, passInventory(t), "exec", "-H", strings.Join(farm.Names, ","), "--", "cat /etc/hostname")
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		if strings.Contains(strings.ToLower(out+errOut), "passphrase") {
			t.Errorf("drover speaks of a passphrase while the agent holds the key")
		}
		wantNewLogins(t, before, logins(t, farm.Names, "deploy", fp), farm.Names, "with "+fp)
	})
}

// TestSSHSetupPassphraseAskedOnce: the encrypted identity is not in any
// agent: on a terminal its passphrase is asked once for all 20 hosts;
// without one, nothing runs and the error names the file and ssh-add.
func TestSSHSetupPassphraseAskedOnce(t *testing.T) {
	needDrover(t, "exec")
	needReal(t, "tmux")
	key, passphrase := passKey(t)
	t.Run("openssh asks on the terminal", func(t *testing.T) {
		exitFile := t.TempDir() + "/exit"
		line := fmt.Sprintf("unset SSH_AUTH_SOCK; ssh -F /dev/null -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes -i %s deploy@%s true",
			farm.KnownHosts(), key, farm.Addr(t, farm.Names[0]))
		screen := passphraseOnTerminal(t, passphrase, exitFile, line)
		if code := strings.TrimSpace(readOr(exitFile)); code != "0" {
			t.Errorf("ssh: exit %s, want 0", code)
		}
		if !strings.Contains(screen, "Enter passphrase for key '"+key+"'") {
			t.Errorf("ssh did not ask for the passphrase of %s", key)
		}
	})
	t.Run("drover asks once for 20 hosts", func(t *testing.T) {
		fp := keyFingerprint(t, key+".pub")
		before := logins(t, farm.Names, "deploy", fp)
		exitFile := t.TempDir() + "/exit"
		line := fmt.Sprintf("unset SSH_AUTH_SOCK; %s exec -i %s -H %s -- true", droverAbs(t), passInventory(t), strings.Join(farm.Names, ","))
		screen := passphraseOnTerminal(t, passphrase, exitFile, line)
		if code := strings.TrimSpace(readOr(exitFile)); code != "0" {
			t.Errorf("exit %s, want 0", code)
		}
		if n := strings.Count(strings.ToLower(screen), "passphrase"); n != 1 {
			t.Errorf("the passphrase was asked %d times, want once", n)
		}
		if strings.Contains(screen, passphrase) {
			t.Errorf("the passphrase was echoed on the terminal")
		}
		wantNewLogins(t, before, logins(t, farm.Names, "deploy", fp), farm.Names, "with "+fp)
	})
	t.Run("no terminal", func(t *testing.T) {
		noTerminal(t, key)
	})
}

// noTerminal: with no terminal and no agent, ssh cannot log in and drover
// exits 2 before any host runs anything, naming the key and ssh-add.
func noTerminal(t *testing.T, key string) {
	if _, code := openssh(t, nil, "-F", "/dev/null", "-i", key, "-o", "UserKnownHostsFile="+farm.KnownHosts(),
		"deploy@"+farm.Addr(t, farm.Names[0]), "true"); code != 255 {
		t.Errorf("ssh without a terminal: exit %d, want 255", code)
	}
	before := acceptedLogins(t, farm.Names)
	_, errOut, code := droverNoTTY(t, nil, passInventory(t), "exec", "-H", strings.Join(farm.Names, ","), "--", "true")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{key, "ssh-add"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	after := acceptedLogins(t, farm.Names)
	for _, h := range farm.Names {
		if after[h] != before[h] {
			t.Errorf("%s: a login was accepted although nothing may run", h)
		}
	}
}

// passphraseOnTerminal runs line under tmux with drover's environment,
// types passphrase at the first passphrase prompt, waits until the line
// wrote its exit status to exitFile and returns the screen.
func passphraseOnTerminal(t testing.TB, passphrase, exitFile, line string) string {
	t.Helper()
	tm := ownTmux(t)
	var env []string
	for _, kv := range droverEnv() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_STATE_HOME=") || kv == "NO_COLOR=1" {
			env = append(env, shellQuote(kv))
		}
	}
	script := writeIn(t, t.TempDir(), "line.sh", fmt.Sprintf("export %s\n%s\necho $? > %s\nsleep 600\n",
		strings.Join(env, " "), line, exitFile))
	tm.start(t, "bash "+script)
	exited := func() bool {
		_, err := os.Stat(exitFile)
		return err == nil
	}
	waitFor(t, 30*time.Second, "a passphrase prompt", func() bool {
		return exited() || strings.Contains(strings.ToLower(tm.screen(t)), "passphrase")
	})
	if exited() {
		t.Fatalf("the command ended (exit %s) without asking for the passphrase:\n%s",
			strings.TrimSpace(readOr(exitFile)), tm.screen(t))
	}
	tm.run(t, "send-keys", "-t", "e2e", "-l", passphrase)
	tm.run(t, "send-keys", "-t", "e2e", "Enter")
	waitFor(t, droverTimeout, "the command to finish", exited)
	screen := tm.screen(t)
	t.Logf("terminal:\n%s", screen)
	return screen
}

// tmuxServers numbers the tmux servers of this process, so a test that
// starts one right after another test's server ended never meets it.
var tmuxServers atomic.Int32

// ownTmux is newTmux with a server socket of its own.
func ownTmux(t testing.TB) *tmux {
	t.Helper()
	needReal(t, "tmux")
	tm := &tmux{socket: fmt.Sprintf("drover-e2e-%d-%d", os.Getpid(), tmuxServers.Add(1))}
	t.Cleanup(func() { tm.run(t, "kill-server") })
	return tm
}
