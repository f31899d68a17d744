// Package runbooks holds the runbooks shipped inside the drover binary: the
// rolling cutover, the cutover behind a load balancer (cutover-lb), and the
// ones behind `drover exec`, `drover switchrel` and `drover patch`. A user can copy any of them and run the copy with
// `drover run`.
package runbooks

import (
	"embed"
	"io/fs"
)

//go:embed *.toml
var files embed.FS

// Read returns the shipped runbook name (e.g. "cutover.toml").
func Read(name string) ([]byte, error) { return files.ReadFile(name) }

// Names lists the shipped runbooks.
func Names() []string {
	names, _ := fs.Glob(files, "*.toml")
	return names
}
