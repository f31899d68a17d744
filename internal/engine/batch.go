package engine

import (
	"context"

	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

// runBatch asks the batch gate, then runs the batch's hosts in a window.
// The batch is over when every host it started is done.
func (s *stageRun) runBatch(ctx context.Context, k, n int, hosts []string) {
	if s.st.Gate == plan.GateBatch {
		a := s.ask(ctx, Question{Kind: AskBatch, Stage: s.st.Name, Batch: k, Batches: n, Hosts: hosts,
			Text: batchText(s.st.Name, k, n, hosts)})
		switch a {
		case No:
			s.skipHosts(hosts, "batch skipped at its gate")
			return
		case Quit:
			return
		}
	}
	s.r.em.emit(event.Event{Kind: event.BatchStart, Stage: s.st.Name, Batch: k, Batches: n, Hosts: hosts})
	s.runWindow(ctx, k, n, hosts)
	s.r.em.emit(event.Event{Kind: event.BatchEnd, Stage: s.st.Name, Batch: k, Batches: n})
}

// skipHosts records hosts the operator skipped at a batch or host gate:
// they are left alone for the rest of the run.
func (s *stageRun) skipHosts(hosts []string, why string) {
	for _, h := range hosts {
		s.r.record(h, s.st.Name, event.Skipped, why, 0)
		s.r.em.emit(event.Event{Kind: event.HostEnd, Stage: s.st.Name, Host: h, Result: event.Skipped, Text: why})
	}
}

func batchText(stage string, k, n int, hosts []string) string {
	return plural(len(hosts), "host") + " in batch " + itoa(k) + "/" + itoa(n) + " of " + stage
}
