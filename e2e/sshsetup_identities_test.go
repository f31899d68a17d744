//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestSSHSetupIdentitiesOnly: an agent holds 8 unrelated keys before the
// right one and the ca hosts' sshd allows 3 attempts (MaxAuthTries 3). An
// ssh_config with IdentitiesOnly and the right IdentityFile, passed with
// -F, logs in on every host, with OpenSSH and with drover.
func TestSSHSetupIdentitiesOnly(t *testing.T) {
	needDrover(t, "exec")
	sock := startAgent(t)
	for _, key := range newKeys(t, 8) {
		agentAdd(t, sock, key, "")
	}
	agentAdd(t, sock, farm.Key(), "")
	agentEnv := []string{"SSH_AUTH_SOCK=" + sock}
	config := writeIn(t, t.TempDir(), "ssh_config", fmt.Sprintf(
		"Host *\n\tUser deploy\n\tIdentitiesOnly yes\n\tIdentityFile %s\n\tUserKnownHostsFile %s\n\tStrictHostKeyChecking yes\n",
		farm.Key(), farm.KnownHosts()))
	t.Run("openssh", func(t *testing.T) {
		// The control: offered in the agent's order, the unrelated keys use
		// up the attempts, so the farm really allows only 3.
		out, code := openssh(t, agentEnv, "-F", "/dev/null", "-o", "UserKnownHostsFile="+farm.KnownHosts(),
			"deploy@"+farm.Addr(t, farm.CANames[0]), "true")
		if code != 255 || !strings.Contains(out, "Too many authentication failures") {
			t.Errorf("agent keys only: exit %d, want 255 and too many authentication failures", code)
		}
		for _, name := range farm.CANames {
			if _, code := openssh(t, agentEnv, "-F", config, farm.Addr(t, name), "true"); code != 0 {
				t.Errorf("%s: ssh -F %s: exit %d, want 0", name, config, code)
			}
		}
	})
	t.Run("drover", func(t *testing.T) {
		fp := keyFingerprint(t, farm.Key()+".pub")
		before := logins(t, farm.CANames, "deploy", fp)
		inv := writeInventory(t, "", farm.CANames)
		_, _, code := droverNoTTY(t, agentEnv, inv, "exec", "-F", config, "-H", strings.Join(farm.CANames, ","), "--", "true")
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		wantNewLogins(t, before, logins(t, farm.CANames, "deploy", fp), farm.CANames, "with "+fp)
	})
}
