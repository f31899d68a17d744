package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/release"
)

var _ engine.Releases = (*release.Switcher)(nil)

// beforeSwitch, when set, is called before each host's switch. Tests set
// it to make a host's goroutine panic; it is nil otherwise.
var beforeSwitch func(host string)

// releases is what carries out the run's switchrel steps, nil when the
// runbook has no [release].
func (p *prepared) releases() engine.Releases {
	if p.plan.Release == nil {
		return nil
	}
	s := release.NewSwitcher(p.plan.Release.Root, p.plan.Release.Keep, p.runID, p.user)
	s.BeforeSwitch = beforeSwitch
	return s
}

// lock takes the farm lock on every connected host before the first
// change, when the runbook touches releases. p.unlock, deferred before
// lock is called, releases it.
func (p *prepared) lock(ctx context.Context) error {
	if p.plan.Release == nil {
		return nil
	}
	owner := release.Owner{User: p.user, RunID: p.runID, Runbook: p.plan.Name, Time: time.Now()}
	p.locks = release.NewFarmLock(p.plan.Release.Root, owner)
	err := p.locks.Take(ctx, namesOf(p.hosts), p.conns)
	var held *release.LockedError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return interrupted(ctx)
	case errors.As(err, &held):
		return locked(withHint(fmt.Errorf("the farm is locked: %w", err),
			"wait for that run to end; if it is dead, remove the lock with drover unlock"))
	}
	return failure(fmt.Errorf("take the farm lock: %w", err))
}

// unlock releases every lock this run took, even after Ctrl-C; ctx is the
// run's, and only tells whether the run was interrupted.
func (p *prepared) unlock(run context.Context) {
	if p.locks == nil {
		return
	}
	for _, err := range p.locks.Release(run) {
		fmt.Fprintf(p.warn, "drover: warning: the farm lock stays on %v; remove it with drover unlock\n", err)
	}
}

// namesOf returns the names of hosts, in order.
func namesOf(hosts []inventory.Host) []string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return names
}
