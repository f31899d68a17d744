package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// CheckDest reports, before a run, why its report could not be written
// to file: a directory that does not exist, or is not one.
func CheckDest(file string) error {
	dir := filepath.Dir(file)
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("report %s: %w", file, err)
	case !fi.IsDir():
		return fmt.Errorf("report %s: %s is not a directory", file, dir)
	}
	return nil
}

// WriteFile writes run's HTML report to file, through a temporary file
// renamed into place, so a reader never sees half a report.
func WriteFile(file string, run Run) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".drover-report-*")
	if err != nil {
		return fmt.Errorf("report %s: cannot write in %s: %w", file, filepath.Dir(file), errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name())
	if err := WriteHTML(tmp, run); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("report %s: %w", file, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("report %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("report %s: %w", file, err)
	}
	return nil
}
