package ui

import (
	"fmt"
	"io"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
)

// PatchReport shows, after drover patch, patch's words from the hosts
// whose check failed, folded, the hosts that had the patch already, then
// the summary; col is what the run's hosts printed.
func PatchReport(w io.Writer, st *Style, sum *engine.Summary, col *Collector) {
	var failed []HostOutput
	for _, h := range sum.Hosts {
		if h.Result != event.Failed || h.Stage != "check" {
			continue
		}
		code, _ := col.Exit(h.Host)
		failed = append(failed, HostOutput{Host: h.Host, Output: col.Output(h.Host), Exit: code})
	}
	if len(failed) > 0 {
		// The newline stays outside the style: lipgloss pads every line of
		// what it renders to the widest, a blank one included.
		fmt.Fprintln(w)
		fmt.Fprintln(w, st.Fail.Render("patch would not apply on these hosts; nothing was changed anywhere:"))
		Fold(w, st, failed)
	}
	var done []string
	for _, h := range sum.Hosts {
		if col.Skipped(h.Host, "apply") {
			done = append(done, h.Host)
		}
	}
	if len(done) > 0 {
		fmt.Fprintf(w, "\nalready applied, left alone: %s\n", inventory.Compress(done))
	}
	fmt.Fprintln(w)
	Summary(w, st, SummaryRows(sum))
}
