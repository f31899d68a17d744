//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestExecSudo runs `drover exec --sudo` as ops, whose sudo asks for a
// password, and counts the attempts in the host's sudo log: a wrong
// password is tried once, never again.
func TestExecSudo(t *testing.T) {
	needDrover(t, "exec")
	tests := []struct {
		name      string
		host      string
		password  string
		wantCode  int
		wantOut   string
		wantInLog string
	}{
		{"right password", "web10", "ops-pass", 0, "root", "COMMAND="},
		{"wrong password is tried once", "web11", "not-the-password", 1, "", "1 incorrect password attempt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farmExec(t, tt.host, ": > /var/log/sudo.log")
			ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
			defer cancel()
			c := droverCommand(ctx, "exec", "-H", tt.host, "-u", "ops", "--sudo", "--", "id -un")
			c.Env = append(c.Env, "DROVER_SUDO_PASSWORD="+tt.password)
			var out bytes.Buffer
			c.Stdout, c.Stderr = &out, &out
			code := exitStatus(t, c.Run())
			log := farmExec(t, tt.host, "cat /var/log/sudo.log")
			t.Logf("drover: exit %d\n%s\nsudo.log:\n%s", code, out.String(), log)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output lacks %q", tt.wantOut)
			}
			if strings.Contains(out.String(), tt.password) {
				t.Errorf("the password appears in drover's output")
			}
			if !strings.Contains(log, tt.wantInLog) {
				t.Errorf("sudo.log lacks %q", tt.wantInLog)
			}
			if n := strings.Count(log, "incorrect password attempt"); n > 1 {
				t.Errorf("sudo logged %d failed tries, want at most 1", n)
			}
		})
	}
}
