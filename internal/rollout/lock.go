package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/release"
)

var _ engine.Releases = (*release.Switcher)(nil)

// releases is what carries out the run's switchrel steps, nil when the
// runbook has no [release].
func (r *run) releases() engine.Releases {
	if r.plan.Release == nil {
		return nil
	}
	s := release.NewSwitcher(r.plan.Release.Root, r.plan.Release.Keep, r.runID, r.opts.User)
	s.BeforeSwitch = r.opts.BeforeSwitch
	return s
}

// lock takes the farm lock on every connected host before the first
// change, when the runbook touches releases. r.unlock, deferred before
// lock is called, releases it.
func (r *run) lock(ctx context.Context) error {
	if r.plan.Release == nil {
		return nil
	}
	owner := release.Owner{User: r.opts.User, RunID: r.runID, Runbook: r.plan.Name, Time: time.Now()}
	r.locks = release.NewFarmLock(r.plan.Release.Root, owner)
	err := r.locks.Take(ctx, namesOf(r.hosts), r.farm.Conns)
	var held *release.LockedError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return interrupted(ctx)
	case errors.As(err, &held):
		return locked(hinted(fmt.Errorf("the farm is locked: %w", err),
			"wait for that run to end; if it is dead, remove the lock with drover unlock"))
	}
	return failed(fmt.Errorf("take the farm lock: %w", err))
}

// unlock releases every lock this run took, even after Ctrl-C; ctx is the
// run's, and only tells whether the run was interrupted.
func (r *run) unlock(run context.Context) {
	if r.locks == nil {
		return
	}
	for _, err := range r.locks.Release(run) {
		r.warn(fmt.Errorf("the farm lock stays on %v; remove it with drover unlock", err))
	}
}

// warn tells the caller what went wrong without stopping the run.
func (r *run) warn(err error) {
	if r.opts.Warn != nil {
		r.opts.Warn(err)
	}
}
