//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

const (
	confOriginal = "# app settings\ntimeout = 10\nworkers = 4\nlog = info\n"
	confPatched  = "# app settings\ntimeout = 30\nworkers = 4\nlog = info\n"
	confDrifted  = "# app settings\ntimeout = 99\nworkers = 4\nlog = info\n"
	confPatch    = `--- a/app.conf
+++ b/app.conf
@@ -1,4 +1,4 @@
 # app settings
-timeout = 10
+timeout = 30
 workers = 4
 log = info
`
)

func TestPatchAllOrNothing(t *testing.T) {
	needDrover(t, "patch")
	hosts := farm.Names[:10]
	cleanSrv(t, hosts, "conf")
	for _, h := range hosts {
		content := confOriginal
		if h == "web07" {
			content = confDrifted
		}
		writeIn(t, srvPath(h, "conf"), "app.conf", content)
		farmExec(t, h, "chown -R deploy: /srv/conf")
	}
	patch := writeIn(t, t.TempDir(), "timeout.diff", confPatch)
	patchArgs := []string{"patch", "-H", "web[01:10]", "--dir", "/srv/conf"}

	stdout, stderr, code := droverCmd(t, append(patchArgs, patch)...)
	if code != 1 {
		t.Errorf("with web07 conflicting: exit %d, want 1", code)
	}
	if out := stdout + stderr; !strings.Contains(lineWith(out, "web07"), "web07") || !strings.Contains(out, "FAILED") {
		t.Errorf("output does not show web07 with patch's own words (FAILED)")
	}
	for _, h := range hosts {
		if got := srvRead(t, h, "conf/app.conf"); got != confOriginal && got != confDrifted {
			t.Errorf("%s: app.conf changed although web07 conflicts:\n%s", h, got)
		}
	}

	writeIn(t, srvPath("web07", "conf"), "app.conf", confOriginal)
	stdout, stderr, code = droverCmd(t, append(patchArgs, patch)...)
	if code != 0 {
		t.Errorf("after fixing web07: exit %d, want 0", code)
	}
	wantConf(t, hosts, confPatched)

	stdout, stderr, code = droverCmd(t, append(patchArgs, "--revert", patch)...)
	if code != 0 {
		t.Errorf("--revert: exit %d, want 0", code)
	}
	wantConf(t, hosts, confOriginal)
}

// wantConf checks /srv/conf/app.conf byte for byte on every host.
func wantConf(t testing.TB, hosts []string, want string) {
	t.Helper()
	for _, h := range hosts {
		if got := srvRead(t, h, "conf/app.conf"); got != want {
			t.Errorf("%s: app.conf = %q, want %q", h, got, want)
		}
	}
}
