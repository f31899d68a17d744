package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFile: the report lands whole under its name, readable by
// others, and leaves no temporary file; a directory that does not exist
// is an error that says it was the report.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "run.html")
	if err := WriteFile(file, Build("r", cutoverEvents())); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("report file: %v, mode %v", err, fi.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d files, want the report alone", len(entries))
	}
	err = WriteFile(filepath.Join(dir, "missing", "run.html"), Build("r", cutoverEvents()))
	if err == nil || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("WriteFile into a missing directory = %v", err)
	}
}
