package engine_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/haproxy"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// freePort returns a loopback port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startHAProxy runs a real haproxy with backend "web" of the given
// servers (name -> address) and returns the runtime API address.
func startHAProxy(t *testing.T, servers map[string]string) string {
	t.Helper()
	api, _ := startHAProxyFront(t, servers)
	return api
}

// startHAProxyFront is startHAProxy that also returns the frontend's
// address.
func startHAProxyFront(t *testing.T, servers map[string]string) (api, front string) {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("haproxy is not installed")
		}
		t.Skip("haproxy is not installed")
	}
	api = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	front = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	var b strings.Builder
	fmt.Fprintf(&b, "global\n  stats socket ipv4@%s level admin\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n", api)
	fmt.Fprintf(&b, "frontend fe\n  bind %s\n  default_backend web\nbackend web\n", front)
	for name, addr := range servers {
		fmt.Fprintf(&b, "  server %s %s\n", name, addr)
	}
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := &haproxy.Client{Name: api, Dial: func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", api)
	}}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := c.Command(context.Background(), "show info"); err == nil {
			return api, front
		} else if time.Now().After(deadline) {
			t.Fatalf("haproxy did not answer: %v", err)
		}
	}
}

func lbStat(t *testing.T, api, server string) haproxy.Stat {
	t.Helper()
	c := &haproxy.Client{Name: api, Dial: func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", api)
	}}
	s, err := c.Stat(context.Background(), "web", server)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestHAProxyAndHTTPSteps drains a host's server on a real HAProxy through
// the host's SSH connection, probes an app on loopback through the same
// connection, and enables the server again; a failing probe leaves the
// server drained with a note saying why.
func TestHAProxyAndHTTPSteps(t *testing.T) {
	_, hosts, conns := startFarm(t, 2)
	app := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			http.Error(w, "release r2 is\x00 broken", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok r2")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Serve(ln)
	defer app.Close()
	servers := map[string]string{}
	for _, h := range hosts {
		servers[h.Name] = ln.Addr().String()
	}
	api := startHAProxy(t, servers)
	lb := plan.HAProxy{Socket: api, Via: hosts[0].Name, Backend: "web", Servers: map[string]string{}}
	for _, h := range hosts {
		lb.Servers[h.Name] = h.Name
	}
	probe := func(path string) plan.Step {
		return plan.Step{Name: "probe", Kind: plan.KindHTTP, Arg: "http://" + ln.Addr().String() + path,
			Status: 200, Body: regexp.MustCompile(`ok r2`), Interval: 20 * time.Millisecond, Via: plan.ViaSSH, Timeout: 2 * time.Second}
	}
	lbStep := func(action string) plan.Step {
		return plan.Step{Name: action, Kind: plan.KindHAProxy, Arg: action, Wait: true, Timeout: 5 * time.Second}
	}
	p := &plan.Plan{Name: "lb", Hosts: hosts, HAProxy: []plan.HAProxy{lb}, Stages: []plan.Stage{{
		Name: "roll", Parallel: 1, Batches: []plan.BatchSize{{Count: 1}},
		Steps: map[string][]plan.Step{
			hosts[0].Name: {lbStep("drain"), probe("/"), lbStep("enable")},
			hosts[1].Name: {lbStep("drain"), probe("/broken"), lbStep("enable")},
		},
		MaxFail: plan.Threshold{Count: 1},
	}}}
	rec := &recorder{}
	sum, err := engine.Run(context.Background(), p, conns, engine.Options{Sink: rec})
	if err != nil {
		t.Fatal(err)
	}
	got := results(sum)
	if got[hosts[0].Name] != event.OK || got[hosts[1].Name] != event.Failed {
		t.Fatalf("results = %v, notes %+v", got, sum.Hosts)
	}
	if s := lbStat(t, api, hosts[0].Name); !s.Up() {
		t.Errorf("%s after the run: %s, want UP", hosts[0].Name, s.Status)
	}
	if s := lbStat(t, api, hosts[1].Name); s.Status != "DRAIN" {
		t.Errorf("%s after a failed probe: %s, want DRAIN", hosts[1].Name, s.Status)
	}
	note := sum.Hosts[1].Note
	if !strings.Contains(note, "last status 503") || !strings.Contains(note, `"release r2 is? broken"`) {
		t.Errorf("note = %q, want the last status and a sanitized excerpt", note)
	}
	var left bool
	for _, e := range rec.kinds(event.Note) {
		left = left || strings.Contains(e.Text, "left drained: its http probe \"probe\" did not pass")
	}
	if !left {
		t.Errorf("no note says %s was left drained", hosts[1].Name)
	}
}

// TestHAProxyRestoreOnInterrupt: a run interrupted while a host is drained
// enables its server again when it was UP before the run and nothing
// changed the host since the drain; a host interrupted in a step that may
// have changed it stays drained, and a note says why.
func TestHAProxyRestoreOnInterrupt(t *testing.T) {
	tests := []struct {
		name     string
		hang     plan.Step
		restored bool
		note     string
	}{
		{"paused", plan.Step{Name: "hang", Kind: plan.KindPause, Pause: 30 * time.Second, Timeout: time.Minute}, true, "enabled again"},
		{"changing", plan.Step{Name: "hang", Kind: plan.KindRun, Arg: "sleep 30", Timeout: time.Minute, IdleTimeout: time.Minute},
			false, `left drained: "hang" ran on`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, hosts, conns := startFarm(t, 1)
			api := startHAProxy(t, map[string]string{hosts[0].Name: "127.0.0.1:1"})
			before := lbStat(t, api, hosts[0].Name)
			rec, sum := interruptDrained(t, api, hosts, conns, tt.hang)
			if !sum.Interrupted {
				t.Fatalf("Run = %+v, want interrupted", sum)
			}
			want := before.Status
			if !tt.restored {
				want = "DRAIN"
			}
			if s := lbStat(t, api, hosts[0].Name); s.Status != want {
				t.Errorf("after the interrupt: %s, want %s", s.Status, want)
			}
			if notes := fmt.Sprint(rec.kinds(event.Note)); !strings.Contains(notes, tt.note) {
				t.Errorf("notes %s, want one with %q", notes, tt.note)
			}
		})
	}
}

// interruptDrained runs drain then hang on the host and interrupts the run
// once hang started, checking that the server was drained by then.
func interruptDrained(t *testing.T, api string, hosts []inventory.Host, conns map[string]transport.Conn, hang plan.Step) (*recorder, *engine.Summary) {
	t.Helper()
	lb := plan.HAProxy{Socket: api, Backend: "web", Servers: map[string]string{hosts[0].Name: hosts[0].Name}}
	p := &plan.Plan{Name: "lb", Hosts: hosts, HAProxy: []plan.HAProxy{lb}, Stages: []plan.Stage{{
		Name: "roll", Parallel: 1, Batches: []plan.BatchSize{{Count: 1}},
		Steps: map[string][]plan.Step{hosts[0].Name: {
			{Name: "drain", Kind: plan.KindHAProxy, Arg: "drain", Timeout: 5 * time.Second}, hang,
		}},
	}}}
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{}
	go func() {
		for !strings.Contains(fmt.Sprint(rec.kinds(event.StepStart)), "hang") {
			time.Sleep(20 * time.Millisecond)
		}
		if s := lbStat(t, api, hosts[0].Name); s.Status != "DRAIN" {
			t.Errorf("during the run: %s, want DRAIN", s.Status)
		}
		cancel()
	}()
	sum, err := engine.Run(ctx, p, conns, engine.Options{Sink: rec})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rec, sum
}

// TestCheckHAProxy reads a real HAProxy's servers before a run: an
// unknown backend or a host without a server is an error naming it, and
// nothing is drained by the check.
func TestCheckHAProxy(t *testing.T) {
	_, hosts, conns := startFarm(t, 2)
	api := startHAProxy(t, map[string]string{hosts[0].Name: "127.0.0.1:1", "other": "127.0.0.1:2"})
	tests := []struct {
		name    string
		backend string
		via     string
		want    string // "" for no error
	}{
		{"known", "web", "", ""},
		{"through ssh", "web", hosts[0].Name, ""},
		{"unknown backend", "wbe", "", `has no backend "wbe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lb := plan.HAProxy{Socket: api, Via: tt.via, Backend: tt.backend, Servers: map[string]string{hosts[0].Name: hosts[0].Name}}
			p := &plan.Plan{Hosts: hosts[:1], HAProxy: []plan.HAProxy{lb}}
			err := engine.CheckHAProxy(context.Background(), p, conns)
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("CheckHAProxy = %v, want %q", err, tt.want)
			}
		})
	}
	lb := plan.HAProxy{Socket: api, Backend: "web", Servers: map[string]string{hosts[0].Name: hosts[0].Name, hosts[1].Name: "web9"}}
	err := engine.CheckHAProxy(context.Background(), &plan.Plan{Hosts: hosts, HAProxy: []plan.HAProxy{lb}}, conns)
	if err == nil || !strings.Contains(err.Error(), "no server web9 (host "+hosts[1].Name+")") {
		t.Errorf("CheckHAProxy = %v, want the missing server named", err)
	}
	own := plan.Step{Name: "drain", Kind: plan.KindHAProxy, Arg: "drain", Backend: "api", Server: "{{ .host }}"}
	p := &plan.Plan{Hosts: hosts[:1], HAProxy: []plan.HAProxy{lb}, Stages: []plan.Stage{{Name: "s",
		Steps: map[string][]plan.Step{hosts[0].Name: {own}}}}}
	if err := engine.CheckHAProxy(context.Background(), p, conns); err == nil || !strings.Contains(err.Error(), `has no backend "api"`) {
		t.Errorf("CheckHAProxy = %v, want the step's own backend checked", err)
	}
	if s := lbStat(t, api, hosts[0].Name); s.Status != "no check" {
		t.Errorf("after the checks: %s, want no check", s.Status)
	}
}

// TestHAProxyDrainWaits: a drain with wait = true ends only once the
// server's last request finished, on every load balancer of the plan, and
// an enable puts the server back on both.
func TestHAProxyDrainWaits(t *testing.T) {
	_, hosts, conns := startFarm(t, 1)
	release := make(chan struct{})
	app := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		fmt.Fprintln(w, "ok")
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Serve(ln)
	defer app.Close()
	name := hosts[0].Name
	api1, front := startHAProxyFront(t, map[string]string{name: ln.Addr().String()})
	api2 := startHAProxy(t, map[string]string{name: ln.Addr().String()})
	slow := make(chan error, 1)
	go func() { _, err := http.Get("http://" + front + "/"); slow <- err }()
	for lbStat(t, api1, name).Sessions == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	var lbs []plan.HAProxy
	for _, api := range []string{api1, api2} {
		lbs = append(lbs, plan.HAProxy{Socket: api, Backend: "web", Servers: map[string]string{name: name}})
	}
	step := func(action string) plan.Step {
		return plan.Step{Name: action, Kind: plan.KindHAProxy, Arg: action, Wait: true, Timeout: 5 * time.Second}
	}
	p := &plan.Plan{Name: "lb", Hosts: hosts, HAProxy: lbs, Stages: []plan.Stage{{
		Name: "roll", Parallel: 1, Batches: []plan.BatchSize{{Count: 1}},
		Steps: map[string][]plan.Step{name: {step("drain"), {Name: "look", Kind: plan.KindPause, Pause: time.Millisecond, Timeout: time.Second}, step("enable")}},
	}}}
	// The request in flight ends a while after the drain began, and the
	// drain must not end before it.
	const hold = 400 * time.Millisecond
	var released, endedEarly atomic.Bool
	rec := &recorder{on: func(e event.Event) {
		switch {
		case e.Kind == event.StepStart && e.Step == "drain":
			time.AfterFunc(hold, func() {
				released.Store(true)
				close(release)
			})
		case e.Kind == event.StepEnd && e.Step == "drain" && !released.Load():
			endedEarly.Store(true)
		}
	}}
	sum, err := engine.Run(context.Background(), p, conns, engine.Options{Sink: rec})
	if err != nil || results(sum)[name] != event.OK {
		t.Fatalf("Run = %+v, %v", sum, err)
	}
	if err := <-slow; err != nil {
		t.Errorf("the request in flight during the drain: %v", err)
	}
	if endedEarly.Load() {
		t.Error("the drain ended while a request was in flight")
	}
	drained := 0
	for _, e := range rec.kinds(event.StepOutput) {
		if strings.Contains(e.Line, "web/"+name+" drained on") {
			drained++
		}
	}
	if drained != 2 {
		t.Errorf("%d load balancers say drained, want 2", drained)
	}
	for _, api := range []string{api1, api2} {
		if s := lbStat(t, api, name); !s.Up() {
			t.Errorf("%s after enable: %s, want UP", api, s.Status)
		}
	}
}
