package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/release"
	"github.com/drover-sh/drover/internal/transport"
)

// hostReleases carries out switchrel steps with package release: resolve
// "previous", switch, record, prune. In a run that switches a host,
// "previous" (an undo, or a retried step) means the release the host ran
// before this run switched it, found in the host's history by this run's
// id, so it never walks one release too far back; a host this run tried to
// switch and did not is left as it is.
type hostReleases struct {
	root  string
	keep  int
	runID string
	user  string

	mu        sync.Mutex
	attempted map[string]bool // hosts this run asked to switch to a named release
}

var _ engine.Releases = (*hostReleases)(nil)

func (p *prepared) releases() engine.Releases {
	if p.plan.Release == nil {
		return nil
	}
	return &hostReleases{root: p.plan.Release.Root, keep: p.plan.Release.Keep, runID: p.runID, user: p.user,
		attempted: map[string]bool{}}
}

// beforeSwitch, when set, is called before each host's switch. Tests set
// it to make a host's goroutine panic; it is nil otherwise.
var beforeSwitch func(host string)

// Switch implements engine.Releases.
func (h *hostReleases) Switch(ctx context.Context, host string, conn transport.Conn, id string) (string, error) {
	if beforeSwitch != nil {
		beforeSwitch(host)
	}
	r := release.ConnRunner{Conn: conn}
	rollback := id == release.Previous
	if rollback {
		target, note, err := h.previous(ctx, r, host)
		if err != nil || target == "" {
			return note, err
		}
		id = target
	} else {
		h.mu.Lock()
		h.attempted[host] = true
		h.mu.Unlock()
	}
	from, err := release.Switch(ctx, r, h.root, id, release.Meta{RunID: h.runID, User: h.user, Rollback: rollback})
	if err != nil {
		return "", err
	}
	if from == id {
		return id + " already", nil
	}
	note := fmt.Sprintf("%s -> %s", orNone(from), id)
	if h.keep > 0 && !rollback {
		removed, err := release.Prune(ctx, r, h.root, h.keep, id, from)
		switch {
		case err != nil: // the switch is good; a prune can wait
			note += fmt.Sprintf(" (prune failed: %v)", err)
		case len(removed) > 0:
			note += fmt.Sprintf(" (pruned %s)", strings.Join(removed, " "))
		}
	}
	return note, nil
}

// previous resolves "previous" for host: the release it ran before this
// run first switched it; else, for a host this run did not try to switch,
// the one before its last switch (DESIGN's previous).
func (h *hostReleases) previous(ctx context.Context, r release.Runner, host string) (target, note string, err error) {
	st, err := release.Read(ctx, r, h.root)
	if err != nil {
		return "", "", err
	}
	for _, e := range st.History {
		if e.Kind == release.KindSwitch && e.RunID == h.runID {
			if e.From == "" {
				return "", "no release before this run: left as it is", nil
			}
			return e.From, "", nil
		}
	}
	h.mu.Lock()
	attempted := h.attempted[host]
	h.mu.Unlock()
	if attempted {
		return "", "not switched by this run: left as it is", nil
	}
	target, err = st.Resolve(release.Previous)
	return target, "", err
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// farmLock is the lock a run holds on every host it touches releases on.
type farmLock struct {
	root  string
	runID string
	mu    sync.Mutex
	held  map[string]transport.Conn
}

// lock takes {root}/.drover/lock on every connected host before the first
// change. The first host (in inventory order) is locked alone, before the
// others: two runs started together on the same hosts race for that one
// lock, and exactly one of them goes on. A lock held by another run
// releases what was taken and exits 4.
func (p *prepared) lock(ctx context.Context) error {
	if p.plan.Release == nil {
		return nil
	}
	fl := &farmLock{root: p.plan.Release.Root, runID: p.runID, held: map[string]transport.Conn{}}
	p.locks = fl
	owner := release.Owner{User: p.user, RunID: p.runID, Runbook: p.plan.Name, Time: time.Now()}
	var first []string
	var rest []string
	for _, h := range p.hosts {
		if _, ok := p.conns[h.Name]; !ok {
			continue
		}
		if first == nil {
			first = []string{h.Name}
		} else {
			rest = append(rest, h.Name)
		}
	}
	err := p.lockHosts(ctx, fl, owner, first)
	if err == nil {
		err = p.lockHosts(ctx, fl, owner, rest)
	}
	if err != nil && ctx.Err() != nil {
		return interrupted(ctx)
	}
	return err
}

// lockHosts locks hosts in parallel.
func (p *prepared) lockHosts(ctx context.Context, fl *farmLock, owner release.Owner, hosts []string) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(hosts))
	for _, host := range hosts {
		conn := p.conns[host]
		wg.Go(func() {
			err := release.Lock(ctx, release.ConnRunner{Conn: conn}, fl.root, owner)
			if err != nil {
				errs <- fmt.Errorf("%s: %w", host, err)
				return
			}
			fl.mu.Lock()
			fl.held[host] = conn
			fl.mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	return p.lockOutcome(errs)
}

// lockOutcome turns lock failures into the run's error, releasing the locks
// that were taken.
func (p *prepared) lockOutcome(errs <-chan error) error {
	var first error
	var locked *release.LockedError
	for err := range errs {
		if first == nil || (errors.As(err, &locked) && !errors.As(first, &locked)) {
			first = err
		}
	}
	if first == nil {
		return nil
	}
	p.unlock(context.Background())
	if errors.As(first, &locked) {
		return &LockedError{Err: withHint(fmt.Errorf("the farm is locked: %w", first),
			"wait for that run to end; if it is dead, remove the lock with drover unlock")}
	}
	return failure(fmt.Errorf("take the farm lock: %w", first))
}

// Deadlines for releasing the farm lock: after Ctrl-C drover must end
// within seconds even if a host stopped answering (its lock then stays,
// and the warning says how to remove it).
const (
	unlockTimeout            = 15 * time.Second
	unlockInterruptedTimeout = 3 * time.Second
)

// unlock releases every lock this run took, even after Ctrl-C; ctx is the
// run's, and only tells whether the run was interrupted.
func (p *prepared) unlock(run context.Context) {
	fl := p.locks
	if fl == nil {
		return
	}
	d := unlockTimeout
	if run.Err() != nil {
		d = unlockInterruptedTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	fl.mu.Lock()
	defer fl.mu.Unlock()
	var wg sync.WaitGroup
	errs := make(chan error, len(fl.held))
	for host, conn := range fl.held {
		wg.Go(func() {
			if err := release.Unlock(ctx, release.ConnRunner{Conn: conn}, fl.root, fl.runID); err != nil {
				errs <- fmt.Errorf("%s: %w", host, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	fl.held = map[string]transport.Conn{}
	for err := range errs {
		fmt.Fprintf(p.warn, "drover: warning: the farm lock stays on %v; remove it with drover unlock\n", err)
	}
}
