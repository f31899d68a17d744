package cli

import (
	"fmt"

	"github.com/drover-sh/drover/internal/journal"
	runreport "github.com/drover-sh/drover/internal/report"
)

// writeReport writes run id's HTML report to file.
func writeReport(env *env, id, file string) error {
	run, err := journal.Read(stateDir(env), id)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := runreport.WriteFile(file, runreport.Build(run.ID, run.Events)); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "drover: report of run %s written to %s\n", run.ID, file)
	return nil
}
