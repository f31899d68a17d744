package report

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile writes run's HTML report to file, through a temporary file
// renamed into place, so a reader never sees half a report.
func WriteFile(file string, run Run) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".drover-report-*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := WriteHTML(tmp, run); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
