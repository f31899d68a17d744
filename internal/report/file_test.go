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
	missing := filepath.Join(dir, "missing", "run.html")
	err = WriteFile(missing, Build("r", cutoverEvents()))
	if err == nil || !strings.HasPrefix(err.Error(), "report "+missing+": ") || strings.Contains(err.Error(), ".drover-report") {
		t.Errorf("WriteFile into a missing directory = %v", err)
	}
	if err := CheckDest(missing); err == nil || !strings.HasPrefix(err.Error(), "report "+missing+": ") {
		t.Errorf("CheckDest of a missing directory = %v", err)
	}
	if err := CheckDest(filepath.Join(file, "x.html")); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("CheckDest under a file = %v", err)
	}
	if err := CheckDest(file); err != nil {
		t.Errorf("CheckDest of a writable place = %v", err)
	}
}
