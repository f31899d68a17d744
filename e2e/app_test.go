//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The farm app: a release directory with bin/app and bin/restart, published
// by the shipped cutover runbook into /srv/app/releases/ID. The app writes
// its state to /srv/app/state ("starting ID", "running ID" once it logged
// "listening", "failed ID") and its pid to /srv/app/app.pid; a file
// /srv/app/fail-ID makes release ID fail to start with a FATAL log line.

const appScript = `#!/bin/sh
rel_dir=$(cd -P "$(dirname "$0")/.." && pwd -P)
rel=${rel_dir##*/}
root=$(cd "$rel_dir/../.." && pwd -P)
echo $$ > "$root/app.pid.tmp" && mv "$root/app.pid.tmp" "$root/app.pid"
echo "starting $rel" > "$root/state"
echo "$(date +%T) starting release $rel" >> "$root/app.log"
if [ -e "$root/fail-$rel" ]; then
	sleep 0.2
	echo "$(date +%T) FATAL: release $rel cannot open its database" >> "$root/app.log"
	echo "failed $rel" > "$root/state"
	exit 1
fi
sleep 0.3
echo "running $rel" > "$root/state.tmp" && mv "$root/state.tmp" "$root/state"
echo "$(date +%T) listening on :8080 (release $rel)" >> "$root/app.log"
exec sleep 86400
`

const restartScript = `#!/bin/sh
root=$(cd -P "$(dirname "$0")/../../.." && pwd -P)
if [ -f "$root/app.pid" ]; then
	kill "$(cat "$root/app.pid")" 2>/dev/null
	rm -f "$root/app.pid"
fi
echo "restarting" > "$root/state"
setsid sh "$root/current/bin/app" </dev/null >/dev/null 2>&1 &
i=0
while [ ! -s "$root/app.pid" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ -s "$root/app.pid" ] || { echo "the app did not start" >&2; exit 1; }
echo "started release $(basename "$(readlink "$root/current")"), pid $(cat "$root/app.pid")"
`

// appRestart and appLog point the shipped cutover at the farm app.
const (
	appRestart = "sh /srv/app/current/bin/restart"
	appLog     = "/srv/app/app.log"
)

// appSource writes the app's release directory and returns it.
func appSource(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "release")
	for name, text := range map[string]string{"bin/app": appScript, "bin/restart": restartScript} {
		p := writeIn(t, dir, name, text)
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatalf("chmod %s: %v", p, err)
		}
	}
	return dir
}

// cleanApp stops the app and removes /srv/app on hosts now and when t ends.
func cleanApp(t testing.TB, hosts []string) {
	t.Helper()
	clean := func() {
		for _, h := range hosts {
			if pid := strings.TrimSpace(srvRead(t, h, "app/app.pid")); pid != "" {
				farmExecCode(t, h, "kill "+pid)
			}
			os.RemoveAll(srvPath(h, "app"))
		}
	}
	clean()
	t.Cleanup(clean)
}

// cutoverArgs are the arguments of a run of the shipped cutover that
// publishes the app from source as release rel on the hosts.
func cutoverArgs(source, rel, hosts string, extra ...string) []string {
	args := []string{"run", "cutover", "-H", hosts, "--yes", "--set", "release=" + rel, "--set", "source=" + source,
		"--set", "restart=" + appRestart, "--set", "log=" + appLog}
	return append(args, extra...)
}

// installApp runs the shipped cutover once per release, quickly (all hosts
// at once), so the hosts run the last one and remember the others.
func installApp(t testing.TB, hosts []string, hostList string, rels ...string) string {
	t.Helper()
	cleanApp(t, hosts)
	source := appSource(t)
	for _, rel := range rels {
		if _, _, code := droverCmd(t, cutoverArgs(source, rel, hostList, "--batches", "100%", "-p", "20")...); code != 0 {
			t.Fatalf("install release %s: exit %d", rel, code)
		}
	}
	wantApp(t, hosts, rels[len(rels)-1])
	return source
}

// current is the release host name's /srv/app/current points at.
func current(name string) string {
	target, err := os.Readlink(srvPath(name, "app/current"))
	if err != nil {
		return ""
	}
	return filepath.Base(target)
}

// appState is the content of host name's /srv/app/state.
func appState(t testing.TB, name string) string {
	return strings.TrimSpace(srvRead(t, name, "app/state"))
}

// wantApp checks that every host is on release rel and its app runs it,
// giving apps restarted without a log watch (switchrel, undo) a few
// seconds to come up.
func wantApp(t testing.TB, hosts []string, rel string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, h := range hosts {
		for time.Now().Before(deadline) && appState(t, h) == "starting "+rel {
			time.Sleep(pollEvery)
		}
		if cur, state := current(h), appState(t, h); cur != rel || state != "running "+rel {
			t.Errorf("%s: current %q, app %q; want %q running", h, cur, state, rel)
		}
	}
}
