package sshx_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// TestProxyCommand: the host is reached through a real local command's
// stdin and stdout, as ssh's ProxyCommand does.
func TestProxyCommand(t *testing.T) {
	if _, err := exec.LookPath("socat"); err != nil {
		needTools(t, "socat")
	}
	farm, known := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	ep := endpoint(farm, h, known)
	ep.ProxyCommand = "socat - TCP:" + h.Address()
	c := dialOK(t, sshx.New(testOptions), ep)
	if got := runOn(t, c, "pwd"); got != h.Dir {
		t.Errorf("ran in %q, want %q", got, h.Dir)
	}
	c.Close()
}

func TestProxyCommandFails(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	ep := endpoint(farm, farm.Hosts[0], known)
	ep.ProxyCommand = "echo 'bastion says no' >&2; exit 1"
	_, err := sshx.New(testOptions).Dial(context.Background(), ep)
	if err == nil || !strings.Contains(err.Error(), "bastion says no") {
		t.Fatalf("dial = %v, want the proxy command's own words", err)
	}
}

// TestProxyCommandHangs: a proxy command that never speaks is given up
// after the connect timeout, and its process is gone.
func TestProxyCommandHangs(t *testing.T) {
	farm, known := startFarm(t, 1, sshtest.Options{})
	ep := endpoint(farm, farm.Hosts[0], known)
	marker := "sleep 29.8731"
	ep.ProxyCommand = marker
	opts := testOptions
	opts.ConnectTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := sshx.New(opts).Dial(context.Background(), ep)
	if err == nil {
		t.Fatal("dial through a silent proxy command succeeded")
	}
	if took := time.Since(start); took > 5*time.Second || took < opts.ConnectTimeout {
		t.Errorf("gave up after %s, want about %s", took, opts.ConnectTimeout)
	}
	if out, _ := exec.Command("pgrep", "-f", marker).Output(); len(out) > 0 {
		t.Errorf("the proxy command still runs: pids %s", out)
	}
}
