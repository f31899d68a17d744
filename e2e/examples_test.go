//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestExamplesCheck validates every runbook and inventory under examples/
// with drover check, as a reader would before trying them.
func TestExamplesCheck(t *testing.T) {
	needDrover(t, "check")
	files, err := filepath.Glob("../examples/*/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example files (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), droverTimeout)
			defer cancel()
			c := exec.CommandContext(ctx, droverBin, "check", f)
			c.Env = droverEnv()
			out, err := c.CombinedOutput()
			if code := exitStatus(t, err); code != 0 {
				t.Errorf("drover check %s: exit %d\n%s", f, code, out)
			}
		})
	}
}
