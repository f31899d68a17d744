//go:build e2e

package e2e

import (
	"io"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
	"github.com/drover-sh/drover/internal/transport/transporttest"
)

// dropbearLacks are the conformance cases Dropbear cannot pass, with why
// (examples/farm/README.md, "Dropbear hosts"). Every other case runs.
// TestDropbearLacks shows each with OpenSSH's own client.
var dropbearLacks = map[string]string{
	"CloseDuringWait": "Dropbear does not hang up a PTY command when its session channel is closed; " +
		"the command runs on until the connection ends",
	"ForwardRemote": "Dropbear refuses cancel-tcpip-forward: a remote forward listens until the connection ends",
	"ParallelSessions": "Dropbear 2022.83 aborts the connection (failed assertion in common-channel.c, " +
		"`!channel->sent_close`) when several sessions on it open and close at once",
}

// TestDropbearFarm checks the Dropbear hosts with OpenSSH's client first:
// each is its own machine, deploy has sudo, root logs in by key.
func TestDropbearFarm(t *testing.T) {
	needDropbear(t)
	for _, name := range farm.DropbearNames {
		out, code := sshCmd(t, "deploy", farm.Addr(t, name), "cat /etc/hostname; cat /srv/hostname; sudo -n id -un")
		if want := name + "\n" + name + "\nroot\n"; code != 0 || out != want {
			t.Errorf("%s as deploy: exit %d, output %q, want %q", name, code, out, want)
		}
		if out, code := sshCmd(t, "root", farm.Addr(t, name), "id -un"); code != 0 || out != "root\n" {
			t.Errorf("%s as root: exit %d, output %q", name, code, out)
		}
		if log := farm.SSHDLog(t, name); !strings.Contains(log, "Pubkey auth succeeded for 'deploy'") {
			t.Errorf("%s: the server log is not Dropbear's:\n%s", name, log)
		}
	}
}

// TestDropbearConformance runs the transport conformance suite with the
// real transport against a Dropbear host, as deploy and as root.
func TestDropbearConformance(t *testing.T) {
	needDropbear(t)
	host := farm.DropbearNames[0]
	opts := sshx.Options{ConnectTimeout: 5 * time.Second, KeepaliveInterval: time.Second}
	accept := opts
	accept.AcceptNew = true
	transporttest.Run(t, func(t *testing.T) transporttest.Target {
		if why, ok := dropbearLacks[path.Base(t.Name())]; ok {
			t.Skip(why)
		}
		login := transport.Endpoint{Name: host, Host: farm.Addr(t, host), Port: 22, User: "deploy",
			Identities: []string{farm.Key()}, KnownHosts: []string{farm.KnownHosts()}}
		root := login
		root.User = "root"
		unknown := login
		unknown.KnownHosts = []string{t.TempDir() + "/known_hosts"}
		changed := login
		changed.KnownHosts = []string{otherKeyKnownHosts(t, login.Addr())}
		return transporttest.Target{
			Dialer: sshx.New(opts), AcceptNewDialer: sshx.New(accept),
			Login: login, Root: &root, Unknown: unknown, Changed: changed,
			Count: func(t *testing.T, cmdline string) int {
				return len(hostProcs(t, host, strings.Fields(cmdline)...))
			},
		}
	})
}

func TestDropbearExec(t *testing.T) {
	needDropbear(t)
	needDrover(t, "exec")
	out, _, code := droverCmd(t, "exec", "-g", "dropbear", "--", "cat /etc/hostname; id -un; sudo -n id -un")
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, name := range farm.DropbearNames {
		if !strings.Contains(out, name) {
			t.Errorf("output lacks %s", name)
		}
	}
	if !strings.Contains(out, "deploy") || !strings.Contains(out, "root") {
		t.Errorf("output lacks deploy's id or sudo's root:\n%s", out)
	}
	out, _, code = droverCmd(t, "exec", "-g", "dropbear", "-u", "root", "--", "id -un")
	if code != 0 || !strings.Contains(out, "root") {
		t.Errorf("as root: exit %d, output %q", code, out)
	}
}

// TestDropbearCutover publishes two releases with the shipped cutover on
// the Dropbear hosts, then goes back with switchrel.
func TestDropbearCutover(t *testing.T) {
	needDropbear(t)
	needDrover(t, "switchrel")
	hosts := farm.DropbearNames
	list := "db[01:" + strings.TrimPrefix(hosts[len(hosts)-1], "db") + "]"
	installApp(t, hosts, list, "r1", "r2")
	for _, h := range hosts {
		if history := srvRead(t, h, "app/.drover/history"); !strings.Contains(history, "r1") || !strings.Contains(history, "r2") {
			t.Errorf("%s: history does not record r1 and r2:\n%s", h, history)
		}
	}
	if _, _, code := droverCmd(t, "switchrel", "previous", "-H", list, "--yes", "--restart", appRestart); code != 0 {
		t.Fatalf("switchrel previous: exit %d, want 0", code)
	}
	wantApp(t, hosts, "r1")
}

// TestDropbearOpenAfterClose: Dropbear before 2024.86 closes a session
// channel that has no command yet whenever another command of the same
// connection exits, so a command closed before it ended (an interrupted
// watch, the host shell at the end of a stage) could take the next
// session with it ("start command: EOF"). The transport waits for the
// closed command's end before it opens the next session there.
func TestDropbearOpenAfterClose(t *testing.T) {
	needDropbear(t)
	host := farm.DropbearNames[0]
	ep := transport.Endpoint{Name: host, Host: farm.Addr(t, host), Port: 22, User: "deploy",
		Identities: []string{farm.Key()}, KnownHosts: []string{farm.KnownHosts()}}
	conn, err := sshx.New(sshx.Options{ConnectTimeout: 5 * time.Second}).Dial(t.Context(), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 3 {
		first, err := conn.NewSession(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Start("sleep 0.3"); err != nil {
			t.Fatal(err)
		}
		first.Close() // the sleep runs on, and ends while the next session is opened
		next, err := conn.NewSession(t.Context())
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		time.Sleep(600 * time.Millisecond)
		out, err := next.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := next.Start("echo started"); err != nil {
			t.Fatalf("round %d: the next session: %v", i, err)
		}
		b, _ := io.ReadAll(out)
		if err := next.Wait(); err != nil || string(b) != "started\n" {
			t.Fatalf("round %d: the next session: %v, output %q", i, err, b)
		}
		next.Close()
	}
}
