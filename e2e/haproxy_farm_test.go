//go:build e2e

package e2e

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The load balancer tests put a real HAProxy (Debian's 2.6) in front of the
// farm's first six web hosts, with examples/haproxy/haproxy.cfg moved to the
// farm's addresses and free ports, and serve examples/haproxy/release on
// them: BusyBox httpd answering "release ID" on the host's address, port
// 8080.

const (
	lbHosts     = 6
	lbConfig    = "../examples/haproxy/haproxy.cfg"
	lbRelease   = "../examples/haproxy/release"
	lbAppPort   = "8080"
	lbBackend   = "web"
	haproxyPath = "/usr/sbin/haproxy"
)

// lb is a running HAProxy.
type lb struct {
	api   string // runtime API, HOST:PORT
	front string // the frontend, HOST:PORT
	names []string
}

// needHAProxy fails under CI, and skips elsewhere, when haproxy is missing.
func needHAProxy(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin, err = haproxyPath, nil
		if _, serr := os.Stat(bin); serr != nil {
			skipUnlessCI(t, "haproxy is not installed (apt-get install haproxy): %v", serr)
		}
	}
	return bin
}

// lbPort is a free loopback port.
func lbPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// startLB runs HAProxy with the example's configuration for the farm and
// waits until every server is UP and the frontend answers.
func startLB(t testing.TB, names []string) *lb {
	t.Helper()
	bin := needHAProxy(t)
	l := &lb{api: "127.0.0.1:" + lbPort(t), front: "127.0.0.1:" + lbPort(t), names: names}
	src, err := os.ReadFile(lbConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer("127.0.1.", "127.0."+farmNet+".", "127.0.0.1:9999", l.api, "127.0.0.1:8000", l.front).Replace(string(src))
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	out, _ := os.Create(filepath.Join(t.TempDir(), "haproxy.log"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start haproxy: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); out.Close() })
	waitFor(t, 10*time.Second, "haproxy with every server UP", func() bool {
		for _, n := range names {
			if !strings.HasPrefix(l.status(t, n), "UP") {
				return false
			}
		}
		return true
	})
	if _, err := httpGet(context.Background(), "http://"+l.front+"/"); err != nil {
		t.Fatalf("haproxy frontend: %v", err)
	}
	return l
}

// command sends one runtime API command and returns the answer.
func (l *lb) command(cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", l.api, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

// status is the status column of the server's `show stat` line ("UP",
// "DRAIN", "MAINT", "DOWN", ...), "" when it cannot be read.
func (l *lb) status(t testing.TB, server string) string {
	t.Helper()
	out, err := l.command("show stat")
	if err != nil {
		return ""
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# "))).ReadAll()
	if err != nil || len(rows) == 0 {
		return ""
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, r := range rows[1:] {
		if r[col["pxname"]] == lbBackend && r[col["svname"]] == server {
			return r[col["status"]]
		}
	}
	return ""
}

// enableAll puts every server back in service (test cleanup).
func (l *lb) enableAll() {
	for _, n := range l.names {
		l.command("set server " + lbBackend + "/" + n + " state ready")
	}
}

// wantAllUp checks that every server of the backend is UP.
func (l *lb) wantAllUp(t testing.TB) {
	t.Helper()
	for _, n := range l.names {
		if s := l.status(t, n); !strings.HasPrefix(s, "UP") {
			t.Errorf("haproxy: %s/%s is %q, want UP", lbBackend, n, s)
		}
	}
}

// httpGet fetches url and returns the body of a 200 answer.
func httpGet(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("status %d", resp.StatusCode)
	}
	return string(b), err
}

// serving is what host name's app answers at / directly, "" when it does
// not answer.
func serving(t testing.TB, name string) string {
	t.Helper()
	body, err := httpGet(context.Background(), "http://"+farm.Addr(t, name)+":"+lbAppPort+"/")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(body)
}

// installLBApp publishes and starts the example app's releases on the
// hosts with the plain cutover, all at once, so they run the last one.
func installLBApp(t testing.TB, names []string, rels ...string) {
	t.Helper()
	cleanApp(t, names)
	for _, rel := range rels {
		args := lbCutoverArgs("cutover", rel, names, "--batches", "100%", "-p", "20")
		if _, _, code := droverCmd(t, args...); code != 0 {
			t.Fatalf("install release %s: exit %d", rel, code)
		}
	}
	last := rels[len(rels)-1]
	for _, n := range names {
		waitFor(t, 10*time.Second, n+" serving "+last, func() bool { return serving(t, n) == "release "+last })
	}
}

// lbSource is the example app as a release source.
func lbSource(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs(lbRelease)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// lbCutoverArgs run the shipped runbook (cutover or cutover-lb) that
// publishes the example app as release rel on the hosts.
func lbCutoverArgs(runbook, rel string, names []string, extra ...string) []string {
	args := []string{"run", runbook, "-H", strings.Join(names, ","), "--yes", "--set", "release=" + rel,
		"--set", "source=" + lbRelease, "--set", "restart=" + appRestart}
	if runbook == "cutover" {
		args = append(args, "--set", "log="+appLog)
	}
	return append(args, extra...)
}

// lbArgs are the cutover-lb arguments that point it at l.
func (l *lb) args(extra ...string) []string {
	return append([]string{"--set", "lb_socket=" + l.api}, extra...)
}
