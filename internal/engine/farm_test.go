package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// startFarm starts n in-process SSH hosts and connects to them through
// Preflight, as the CLI does.
//
// Keepalives go every second, so a connection counts as lost after three
// seconds without an answer: a machine loaded by the race detector and
// other tests (GOMAXPROCS=1) can hold an in-process answer for a few
// hundred milliseconds, which lost the connection of a test that meant
// to keep it. Tests of a host that stops answering freeze it and set
// their own interval.
func startFarm(t *testing.T, n int) (*sshtest.Farm, []inventory.Host, map[string]transport.Conn) {
	t.Helper()
	return startFarmKeepalive(t, n, time.Second)
}

// startFarmKeepalive is startFarm with keepalives every interval.
func startFarmKeepalive(t *testing.T, n int, interval time.Duration) (*sshtest.Farm, []inventory.Host, map[string]transport.Conn) {
	t.Helper()
	farm, err := sshtest.Start(context.Background(), sshtest.Options{Hosts: n, Dir: t.TempDir(),
		Shell: "/bin/bash", KillDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("start farm: %v", err)
	}
	t.Cleanup(func() { farm.Close() })
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := farm.KnownHosts(known); err != nil {
		t.Fatal(err)
	}
	var hosts []inventory.Host
	for _, h := range farm.Hosts {
		ep := transport.Endpoint{Name: h.Name, Host: h.Addr, Port: h.Port, User: "deploy",
			Identities: []string{farm.ClientKey}, KnownHosts: []string{known}}
		hosts = append(hosts, inventory.Host{Name: h.Name, Endpoint: ep})
	}
	d := sshx.New(sshx.Options{ConnectTimeout: 5 * time.Second, KeepaliveInterval: interval})
	conns, problems := engine.Preflight(context.Background(), d, hosts, 4)
	if len(problems) > 0 {
		t.Fatalf("pre-flight: %+v", problems)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return farm, hosts, conns
}

type secrets map[string]string

func (s secrets) Get(_ context.Context, name string) (string, error) { return s[name], nil }

func TestRealFarm(t *testing.T) {
	farm, hosts, conns := startFarm(t, 2)
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	os.WriteFile(filepath.Join(src, "bin", "app"), []byte("#!/bin/sh\necho app\n"), 0o755)
	os.WriteFile(filepath.Join(src, "README"), []byte("hello\n"), 0o600)
	steps := []plan.Step{
		{Name: "publish", Kind: plan.KindUpload, Arg: src, To: "app/releases/r1", SkipIf: "test -d app/releases/r1"},
		{Name: "config", Kind: plan.KindUpload, Arg: filepath.Join(src, "README"), To: "app/etc/README"},
		{Name: "ask", Kind: plan.KindRun, Arg: `printf 'Overwrite (y/n)? '; read a; echo "answer=$a"`,
			Expect:  []plan.ExpectRule{{Match: regexp.MustCompile(`Overwrite \(y/n\)\? $`), Send: "y"}},
			Timeout: 5 * time.Second, IdleTimeout: 2 * time.Second},
		{Name: "token", Kind: plan.KindRun, Arg: `printf 'token: '; read -r t; echo "len=${#t}"`,
			Expect:  []plan.ExpectRule{{Match: regexp.MustCompile(`token: $`), SendSecret: "tok"}},
			Timeout: 5 * time.Second, IdleTimeout: 2 * time.Second},
		{Name: "start", Kind: plan.KindRun, Arg: `echo 'listening on :8080' >> app.log`},
		{Name: "wait for the log", Kind: plan.KindWatch, Arg: "app.log",
			Until: regexp.MustCompile(`listening on`), FailOn: regexp.MustCompile(`FATAL`), Timeout: 5 * time.Second},
		{Name: "restart", Kind: plan.KindRun, Arg: `echo 'FATAL: bad config' >> app.log`},
		{Name: "wait again", Kind: plan.KindWatch, Arg: "app.log",
			Until: regexp.MustCompile(`listening on`), FailOn: regexp.MustCompile(`FATAL`), Timeout: 5 * time.Second},
	}
	p := &plan.Plan{Name: "farm", Hosts: hosts, Stages: []plan.Stage{{Name: "s", Parallel: 2, MaxFail: plan.Threshold{Count: 2},
		Steps: map[string][]plan.Step{hosts[0].Name: steps, hosts[1].Name: steps}}}}
	rec := &recorder{}
	redact := func(s string) string { return strings.ReplaceAll(s, "abc123", "***") }
	s, err := engine.Run(context.Background(), p, conns, engine.Options{Sink: rec, Secrets: secrets{"tok": "abc123"}, Redact: redact})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range s.Hosts {
		// The old "listening" line must not make the second watch pass.
		if h.Result != event.Failed || !strings.Contains(h.Note, `"wait again"`) {
			t.Errorf("%s = %+v, want failed in the second watch", h.Host, h)
		}
	}
	for _, e := range rec.all() {
		if strings.Contains(e.Line+e.Error+e.Text, "abc123") {
			t.Errorf("secret in %s event: %+v", e.Kind, e)
		}
		if e.Kind == event.StepEnd && e.Step != "wait again" && e.Result != event.OK {
			t.Errorf("%s on %s = %s %s, want ok", e.Step, e.Host, e.Result, e.Error)
		}
	}
	byStep := map[string][]string{}
	for _, e := range rec.kinds(event.StepOutput) {
		if e.Host == hosts[0].Name {
			byStep[e.Step] = append(byStep[e.Step], e.Line)
		}
	}
	if !slices.ContainsFunc(byStep["ask"], func(l string) bool { return strings.Contains(l, "answer=y") }) {
		t.Errorf("ask output = %q, want answer=y", byStep["ask"])
	}
	if !slices.ContainsFunc(byStep["token"], func(l string) bool { return strings.Contains(l, "len=6") }) {
		t.Errorf("token output = %q, want len=6", byStep["token"])
	}
	dir := farm.Hosts[0].Dir
	checkFile(t, filepath.Join(dir, "app/releases/r1/bin/app"), "#!/bin/sh\necho app\n", 0o755)
	checkFile(t, filepath.Join(dir, "app/releases/r1/README"), "hello\n", 0o600)
	checkFile(t, filepath.Join(dir, "app/etc/README"), "hello\n", 0o600)
}

func checkFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("uploaded file: %v", err)
		return
	}
	info, _ := os.Stat(path)
	if string(b) != content || info.Mode().Perm() != mode {
		t.Errorf("%s = %q %v, want %q %v", path, b, info.Mode().Perm(), content, mode)
	}
}

func TestRealFarmInterrupt(t *testing.T) {
	tests := []struct {
		name  string
		steps []plan.Step
	}{
		{"plain", []plan.Step{{Name: "x", Kind: plan.KindRun, Arg: "echo started; sleep 30"}}},
		{"pty", []plan.Step{{Name: "x", Kind: plan.KindRun, Arg: "echo started; sleep 30",
			Until: regexp.MustCompile("never")}}},
		{"watch", []plan.Step{{Name: "log", Kind: plan.KindRun, Arg: "echo started >> log"},
			{Name: "x", Kind: plan.KindWatch, Arg: "log", Until: regexp.MustCompile("never")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm, hosts, conns := startFarm(t, 1)
			os.WriteFile(filepath.Join(farm.Hosts[0].Dir, "log"), []byte("old\n"), 0o644)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rec := &recorder{on: func(e event.Event) {
				if e.Kind == event.StepOutput && e.Line == "started" {
					cancel()
				}
			}}
			p := &plan.Plan{Name: "farm", Hosts: hosts, Stages: []plan.Stage{{Name: "s", Parallel: 1,
				Steps: map[string][]plan.Step{hosts[0].Name: tt.steps}}}}
			s, err := engine.Run(ctx, p, conns, engine.Options{Sink: rec})
			if err != nil {
				t.Fatal(err)
			}
			if !s.Interrupted || s.Hosts[0].Result != event.Interrupted {
				t.Errorf("summary = %+v, want interrupted", s)
			}
			idle, stop := context.WithTimeout(context.Background(), 5*time.Second)
			defer stop()
			if err := farm.Hosts[0].WaitIdle(idle); err != nil {
				t.Errorf("remote command still runs after the interrupt: %v", err)
			}
		})
	}
}
