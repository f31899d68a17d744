//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretsRunbook uses the sudo password on a real host, prints it from the
// host (in a long line, just after the 64 KiB cut) and looks for it in a local
// step's environment.
const secretsRunbook = `
name = "secrets"
[[stage]]
name = "s"
  [[stage.step]]
  name  = "local"
  local = 'echo "local=[$DROVER_SUDO_PASSWORD]"'
  [[stage.step]]
  name = "as root"
  run  = "id -un"
  sudo = true
  [[stage.step]]
  name = "long line"
  pty  = true
  run  = "head -c 65531 /dev/zero | tr '\\000' x; printf '%s' ops-pass; echo tail"
`

// TestSecretsStayHidden: with real sudo on a real host, the password is in
// no local step's environment, and masked in every output and file drover
// writes, even where the host prints it across a line cut.
func TestSecretsStayHidden(t *testing.T) {
	needDrover(t, "run")
	const password = "ops-pass"
	dir := t.TempDir()
	rb := writeIn(t, dir, "secrets.toml", secretsRunbook)
	logs := filepath.Join(dir, "logs")
	ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
	defer cancel()
	c := droverCommand(ctx, "run", rb, "-H", "web10", "-u", "ops", "-v", "--log-dir", logs)
	c.Env = append(c.Env, "DROVER_SUDO_PASSWORD="+password)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	code := exitStatus(t, c.Run())
	shown := out.String()
	if len(shown) > 4000 {
		shown = shown[:2000] + "\n…\n" + shown[len(shown)-2000:]
	}
	t.Logf("drover run: exit %d\n%s", code, shown)
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, want := range []string{"web10 | local=[]", "web10 | root", "x … [line cut at 64 KiB]\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// The rest of the cut line, the secret masked, is in the transcript.
	tr, err := os.ReadFile(filepath.Join(logs, "web10.log"))
	if err != nil || !bytes.Contains(tr, []byte("|+ ********")) {
		t.Errorf("the transcript lacks the masked rest of the cut line (%v)", err)
	}
	if strings.Contains(out.String(), password) || strings.Contains(out.String(), "ops-p") {
		t.Errorf("the password appears in drover's output")
	}
	for _, root := range []string{logs, filepath.Join(farm.Home, "state")} {
		noSecretUnder(t, root, password)
	}
}

// noSecretUnder fails the test when a file under root holds secret.
func noSecretUnder(t *testing.T, root, secret string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret", path)
		}
		return nil
	})
	if err != nil {
		t.Errorf("look for the secret under %s: %v", root, err)
	}
}
