package release

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/transport"
)

// Switcher carries out the switchrel steps of one run: resolve "previous",
// switch, record, prune after a good switch, mark bad what a rollback
// leaves. In a run that switches a host, "previous" (an undo, or a retried
// step) means the release the host ran before this run switched it, found
// in the host's history by the run's id, so it never walks one release too
// far back; a host the run tried to switch and did not is left as it is.
//
// A Switcher is safe for concurrent use by the hosts of its run.
type Switcher struct {
	root  string
	keep  int
	runID string
	user  string
	// BeforeSwitch, when set, is called before each host's switch; tests
	// use it to make a host's goroutine panic.
	BeforeSwitch func(host string)

	mu        sync.Mutex
	attempted map[string]bool // hosts this run asked to switch to a named release
}

// NewSwitcher returns the Switcher of run runID by user on the release
// tree at root, keeping keep releases after a good switch (0 keeps all).
func NewSwitcher(root string, keep int, runID, user string) *Switcher {
	return &Switcher{root: root, keep: keep, runID: runID, user: user, attempted: map[string]bool{}}
}

// Switch switches host to release id, or to its previous release for
// Previous, and returns a note for the step's output ("A -> B (pruned X)").
// A prune that fails leaves the switch good and says so in the note.
func (s *Switcher) Switch(ctx context.Context, host string, conn transport.Conn, id string) (string, error) {
	if s.BeforeSwitch != nil {
		s.BeforeSwitch(host)
	}
	r := ConnRunner{Conn: conn}
	rollback := id == Previous
	if rollback {
		target, note, err := s.previous(ctx, r, host)
		if err != nil || target == "" {
			return note, err
		}
		id = target
	} else {
		s.mu.Lock()
		s.attempted[host] = true
		s.mu.Unlock()
	}
	from, err := Switch(ctx, r, s.root, id, Meta{RunID: s.runID, User: s.user, Rollback: rollback})
	if err != nil {
		return "", err
	}
	if from == id {
		return id + " already", nil
	}
	note := fmt.Sprintf("%s -> %s", orNone(from), id)
	if s.keep > 0 && !rollback {
		note += s.prune(ctx, r, id, from)
	}
	return note, nil
}

// prune removes old releases after a good switch from -> id and returns
// what the step's note says of it.
func (s *Switcher) prune(ctx context.Context, r Runner, id, from string) string {
	removed, err := Prune(ctx, r, s.root, s.keep, id, from)
	switch {
	case err != nil: // the switch is good; a prune can wait
		return fmt.Sprintf(" (prune failed: %v)", err)
	case len(removed) > 0:
		return fmt.Sprintf(" (pruned %s)", strings.Join(removed, " "))
	}
	return ""
}

// previous resolves "previous" for host: the release it ran before this
// run first switched it; else, for a host this run did not try to switch,
// the one before its last switch (the package's Previous).
func (s *Switcher) previous(ctx context.Context, r Runner, host string) (target, note string, err error) {
	st, err := Read(ctx, r, s.root)
	if err != nil {
		return "", "", err
	}
	for _, e := range st.History {
		if e.Kind == KindSwitch && e.RunID == s.runID {
			if e.From == "" {
				return "", "no release before this run: left as it is", nil
			}
			return e.From, "", nil
		}
	}
	s.mu.Lock()
	attempted := s.attempted[host]
	s.mu.Unlock()
	if attempted {
		return "", "not switched by this run: left as it is", nil
	}
	target, err = st.Resolve(Previous)
	return target, "", err
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
