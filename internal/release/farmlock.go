package release

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/drover-sh/drover/internal/transport"
)

// FarmLock is the lock one run holds on every host it touches releases
// on. Defer Release before calling Take: every lock Take took, also when
// it fails, is released then; a panic in a host's lock attempt is that
// host's error, so no path leaves a lock behind that Release does not
// know of.
//
// A FarmLock is safe for concurrent use.
type FarmLock struct {
	root  string
	owner Owner

	mu   sync.Mutex
	held map[string]transport.Conn
}

// NewFarmLock returns the (not yet taken) lock of owner on the release
// trees at root.
func NewFarmLock(root string, owner Owner) *FarmLock {
	return &FarmLock{root: root, owner: owner, held: map[string]transport.Conn{}}
}

// lockParallel bounds how many hosts Take locks at once.
const lockParallel = 64

// Take locks {root}/.drover/lock on the hosts of order that have a
// connection in conns. The first of them is locked alone, before the
// others: two runs started together on the same hosts race for that one
// lock, and exactly one of them goes on. After the first failure no new
// host is locked (those in flight finish, so every lock taken is known,
// and Release releases them); the error names the host, wrapping a
// *LockedError when another run holds the lock anywhere it was tried.
func (fl *FarmLock) Take(ctx context.Context, order []string, conns map[string]transport.Conn) error {
	var hosts []string
	for _, h := range order {
		if _, ok := conns[h]; ok {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return nil
	}
	if err := fl.lockHosts(ctx, hosts[:1], conns); err != nil {
		return err
	}
	return fl.lockHosts(ctx, hosts[1:], conns)
}

// lockHosts locks hosts, at most lockParallel at a time.
func (fl *FarmLock) lockHosts(ctx context.Context, hosts []string, conns map[string]transport.Conn) error {
	var g errgroup.Group
	g.SetLimit(lockParallel)
	var stop atomic.Bool
	var mu sync.Mutex
	var errs []error
	for _, host := range hosts {
		g.Go(func() error {
			if stop.Load() {
				return nil
			}
			if err := fl.lockOne(ctx, host, conns[host]); err != nil {
				stop.Store(true)
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", host, err))
				mu.Unlock()
			}
			return nil
		})
	}
	g.Wait()
	return firstLockError(errs)
}

// lockOne locks one host and records it as held.
func (fl *FarmLock) lockOne(ctx context.Context, host string, conn transport.Conn) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("lock panicked: %v", v)
		}
	}()
	if err := Lock(ctx, ConnRunner{Conn: conn}, fl.root, fl.owner); err != nil {
		return err
	}
	fl.mu.Lock()
	fl.held[host] = conn
	fl.mu.Unlock()
	return nil
}

// firstLockError is the error Take reports: a lock held by another run
// before any other failure.
func firstLockError(errs []error) error {
	var first error
	var locked *LockedError
	for _, err := range errs {
		if first == nil || (errors.As(err, &locked) && !errors.As(first, &locked)) {
			first = err
		}
	}
	return first
}

// Deadlines for Release: after Ctrl-C drover must end within seconds even
// if a host stopped answering (its lock then stays, and Release says
// where).
const (
	unlockTimeout            = 15 * time.Second
	unlockInterruptedTimeout = 3 * time.Second
)

// Release releases every lock taken, in parallel, even after Ctrl-C: run
// is the run's context and only tells whether the run was interrupted,
// which shortens the deadline. It returns one error per host whose lock
// stays; calling it again releases nothing more.
func (fl *FarmLock) Release(run context.Context) []error {
	d := unlockTimeout
	if run.Err() != nil {
		d = unlockInterruptedTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	fl.mu.Lock()
	defer fl.mu.Unlock()
	var mu sync.Mutex
	var errs []error
	var g errgroup.Group
	for host, conn := range fl.held {
		g.Go(func() error {
			if err := Unlock(ctx, ConnRunner{Conn: conn}, fl.root, fl.owner.RunID); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", host, err))
				mu.Unlock()
			}
			return nil
		})
	}
	g.Wait()
	fl.held = map[string]transport.Conn{}
	return errs
}
