package sandbox

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// demoApp is the demo's app: bin/app logs the release it runs, bin/restart
// restarts it from {root}/current.
//
//go:embed demoapp
var demoApp embed.FS

// WriteRelease writes a release tree with the demo app in it to dir; the
// release is named after dir.
func WriteRelease(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return err
	}
	for _, name := range []string{"app", "restart"} {
		b, err := demoApp.ReadFile("demoapp/" + name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "bin", name), b, 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, "VERSION"), []byte(filepath.Base(dir)+"\n"), 0o644)
}

// FailRelease makes the app of host fail to start release, its root being
// app in the host's directory.
func (sb *Sandbox) FailRelease(host, release string) error {
	h := sb.Farm.Host(host)
	if h == nil {
		return fmt.Errorf("no host %s in the sandbox", host)
	}
	if err := os.MkdirAll(filepath.Join(h.Dir, "app"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(h.Dir, "app", "fail-"+release), nil, 0o644)
}

// StopApps ends the demo apps the hosts run.
func (sb *Sandbox) StopApps() {
	for _, h := range sb.Farm.Hosts {
		b, err := os.ReadFile(filepath.Join(h.Dir, "app", "app.pid"))
		if err != nil {
			continue
		}
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 1 {
			syscall.Kill(pid, syscall.SIGTERM)
		}
	}
}
