package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/drover-sh/drover/internal/journal"
	runreport "github.com/drover-sh/drover/internal/report"
)

// writeReport writes run id's HTML report to file, through a temporary file
// renamed into place, so a reader never sees half a report.
func writeReport(env *env, id, file string) error {
	run, err := journal.Read(stateDir(env), id)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".drover-report-*")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := runreport.WriteHTML(tmp, runreport.Build(run.ID, run.Events)); err != nil {
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
	fmt.Fprintf(env.stderr, "drover: report of run %s written to %s\n", run.ID, file)
	return nil
}
