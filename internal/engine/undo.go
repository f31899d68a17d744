package engine

import (
	"context"
	"sync"

	"github.com/drover-sh/drover/internal/event"
)

// undo runs, after an abort, the undo steps of every stage with
// undo_on_abort, newest stage first, on every host that started it. The
// gate asks first (AlwaysYes says yes); No leaves that stage as it is.
func (r *runner) undo(ctx context.Context) {
	r.mu.Lock()
	stages := append([]*stageRun(nil), r.stages...)
	r.mu.Unlock()
	for i := len(stages) - 1; i >= 0 && ctx.Err() == nil; i-- {
		s := stages[i]
		hosts := s.startedHosts()
		if !s.st.UndoOnAbort || len(hosts) == 0 {
			continue
		}
		a := r.gates.ask(ctx, Question{Kind: AskUndo, Stage: s.st.Name, Hosts: hosts,
			Text: "undo " + s.st.Name + " on " + plural(len(hosts), "host")})
		if ctx.Err() != nil || (a != Yes && a != All) {
			continue
		}
		r.em.emit(event.Event{Kind: event.UndoStart, Stage: s.st.Name, Hosts: hosts})
		s.undoHosts(ctx, hosts)
	}
}

// undoHosts runs the undo steps on hosts, at most the stage's parallel at a
// time. The hosts' results stay those of the run; how the undo went is
// added to the host's note.
func (s *stageRun) undoHosts(ctx context.Context, hosts []string) {
	slots := make(chan struct{}, max(1, s.st.Parallel))
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, h := range hosts {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() {
			defer func() { <-slots }()
			defer s.recoverHost(h)
			hr := &hostRun{s: s, h: s.r.state(h), tail: newTail(tailLines), undo: true}
			res, note := hr.pipeline(ctx)
			if res == event.OK {
				s.r.addNote(h, "undone in "+s.st.Name)
				return
			}
			s.r.addNote(h, "undo "+string(res)+": "+s.r.em.clean(note))
		})
	}
}

// addNote appends to a host's summary note.
func (r *runner) addNote(host, note string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.hosts[host]
	if h.note != "" {
		h.note += "; "
	}
	h.note += note
}
