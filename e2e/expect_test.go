//go:build e2e

package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestExpectThreeQuestions(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:3]
	cleanSrv(t, hosts, "answers")
	rb := writeIn(t, t.TempDir(), "ask.toml", `
name = "ask"
[[stage]]
name = "ask"
  [[stage.step]]
  name = "three questions"
  timeout = "30s"
  run = '''
printf 'Continue? [y/N] '; read a; [ "$a" = y ] || exit 3
printf 'Your name: '; read n
printf 'Deploy as %s? Type yes to confirm: ' "$n"; read c; [ "$c" = yes ] || exit 4
echo "done $n" > /srv/answers
'''
    [[stage.step.expect]]
    match = 'Continue\? \[y/N\] $'
    send  = "y"
    [[stage.step.expect]]
    match = 'Your name: $'
    send  = "{{ .host }}-admin"
    [[stage.step.expect]]
    match = '(?i)type yes to confirm: $'
    send  = "yes"
`)
	_, _, code := droverCmd(t, "run", rb, "-H", "web[01:03]")
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	for _, h := range hosts {
		if got, want := srvRead(t, h, "answers"), "done "+h+"-admin\n"; got != want {
			t.Errorf("%s: /srv/answers = %q, want %q", h, got, want)
		}
	}
}

func TestExpectStuckAtPrompt(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:2]
	cleanSrv(t, hosts, "e2e-stuck.sh")
	for _, h := range hosts {
		writeIn(t, srvPath(h, ""), "e2e-stuck.sh", "printf 'Continue? [y/N] '\nread a\nprintf 'Overwrite /etc/app.conf (y/n)? '\nread b\necho never\n")
	}
	rb := writeIn(t, t.TempDir(), "stuck.toml", `
name = "stuck"
[[stage]]
name = "stuck"
max_fail = "100%"
  [[stage.step]]
  name = "install"
  run = "sh /srv/e2e-stuck.sh"
  idle_timeout = "2s"
  timeout = "60s"
    [[stage.step.expect]]
    match = 'Continue\? \[y/N\] $'
    send  = "y"
`)
	start := time.Now()
	stdout, _, code := droverCmd(t, "run", rb, "-H", "web[01:02]")
	took := time.Since(start)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if took > 15*time.Second {
		t.Errorf("drover took %v with idle_timeout 2s", took)
	}
	for _, want := range []string{"stuck at prompt", "Overwrite /etc/app.conf (y/n)?"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, h := range hosts {
		waitFor(t, 5*time.Second, h+": the stuck script to be gone", func() bool {
			_, code := farmExecCode(t, h, "pgrep -f 'e2e[-]stuck'")
			return code == 1
		})
	}
}

// untilRunbook follows a log with tail -F until a line matches.
const untilRunbook = `
name = "until"
[[stage]]
name = "follow"
max_fail = "100%"
  [[stage.step]]
  name    = "follow"
  run     = "tail -F /srv/e2e-until.log"
  until   = 'ready'
  fail_on = 'FATAL'
  timeout = "30s"
`

func TestRunUntil(t *testing.T) {
	needDrover(t, "run")
	tests := []struct {
		name     string
		write    string
		wantCode int
	}{
		{"until ends it as success", "starting\nready\n", 0},
		{"fail_on ends it as failure", "starting\nFATAL: no database\n", 1},
	}
	rb := writeIn(t, t.TempDir(), "until.toml", untilRunbook)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanSrv(t, farm.Names[:1], "e2e-until.log")
			ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
			defer cancel()
			c := droverCommand(ctx, "run", rb, "-H", "web01")
			var out strings.Builder
			c.Stdout, c.Stderr = &out, &out
			if err := c.Start(); err != nil {
				t.Fatalf("start drover: %v", err)
			}
			waitFor(t, 20*time.Second, "tail -F on web01", func() bool {
				return len(hostProcs(t, "web01", "tail", "-F", "/srv/e2e-until.log")) > 0
			})
			appendFile(t, srvPath("web01", "e2e-until.log"), tt.write)
			code := exitStatus(t, c.Wait())
			t.Logf("drover run: exit %d\n%s", code, out.String())
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d", code, tt.wantCode)
			}
			waitFor(t, 5*time.Second, "tail -F on web01 to be gone", func() bool {
				return len(hostProcs(t, "web01", "tail", "-F", "/srv/e2e-until.log")) == 0
			})
		})
	}
}

func TestWatchSeesLineOfStepBefore(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:4]
	cleanSrv(t, hosts, "e2e-watch.log")
	for _, h := range hosts {
		farmExec(t, h, "echo 'an old line' > /srv/e2e-watch.log && chown deploy: /srv/e2e-watch.log")
	}
	rb := writeIn(t, t.TempDir(), "watch.toml", `
name = "watch"
[[stage]]
name = "restart"
  [[stage.step]]
  name = "start"
  run  = "echo 'listening on :8080' >> /srv/e2e-watch.log"
  [[stage.step]]
  name    = "wait for the log"
  watch   = "/srv/e2e-watch.log"
  until   = 'listening'
  timeout = "10s"
`)
	_, _, code := droverCmd(t, "run", rb, "-H", "web[01:04]")
	if code != 0 {
		t.Errorf("exit %d, want 0: watch missed the line its step before wrote", code)
	}
}

// appendFile appends s to the file at path, creating it.
func appendFile(t testing.TB, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatalf("append to %s: %v", path, err)
	}
}
