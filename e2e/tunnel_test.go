//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// tunnelPort is the port the tunnel opens on every host's loopback. Hosts
// share the machine's network, so the runbooks run one host at a time.
const tunnelPort = "19418"

// gitDaemon serves a one-commit repository "repo" with git daemon on
// 127.0.0.1 and returns its address; the daemon stops when t ends.
func gitDaemon(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		skipUnlessCI(t, "needs git: %v", err)
	}
	base := t.TempDir()
	repo := filepath.Join(base, "repo")
	writeIn(t, repo, "README", "served through the tunnel\n")
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "README"},
		{"-c", "user.name=e2e", "-c", "user.email=e2e@localhost", "commit", "-q", "-m", "snapshot"},
	} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithCancel(context.Background())
	d := exec.CommandContext(ctx, "git", "daemon", "--reuseaddr", "--export-all", "--base-path="+base,
		"--listen=127.0.0.1", "--port="+port, base)
	if err := d.Start(); err != nil {
		cancel()
		t.Fatalf("start git daemon: %v", err)
	}
	t.Cleanup(func() { cancel(); d.Wait() })
	waitFor(t, 10*time.Second, "git daemon on "+addr, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

// freeAddr is a loopback address with a port nobody listens on right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestTunnelGitClone(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:3]
	daemon := gitDaemon(t)
	step := `
[[stage]]
name     = "pull"
parallel = 1
  [[stage.step]]
  name    = "clone"
  run     = "rm -rf /srv/clone && git clone -q git://127.0.0.1:` + tunnelPort + `/repo /srv/clone"
  timeout = "30s"
`
	tunnel := fmt.Sprintf("[[tunnel]]\nremote = \"127.0.0.1:%s\"\nlocal  = %q\n", tunnelPort, daemon)
	tests := []struct {
		name     string
		runbook  string
		wantCode int
	}{
		{"without the tunnel the clone fails", "name = \"pull\"\n" + step, 1},
		{"through the tunnel every host clones", "name = \"pull\"\n" + tunnel + step, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanSrv(t, hosts, "clone")
			rb := writeIn(t, t.TempDir(), "pull.toml", tt.runbook)
			if _, _, code := droverCmd(t, "run", rb, "-H", "web[01:03]"); code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			for _, h := range hosts {
				got := srvRead(t, h, "clone/README")
				if cloned := got == "served through the tunnel\n"; cloned != (tt.wantCode == 0) {
					t.Errorf("%s: /srv/clone/README = %q", h, got)
				}
			}
		})
	}
}
