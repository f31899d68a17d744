package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// defaultHostTimeout bounds what the engine asks of a host beside a step's
// own work (see Options.HostTimeout).
const defaultHostTimeout = 30 * time.Second

func (r *runner) hostTimeout() time.Duration {
	if r.opts.HostTimeout > 0 {
		return r.opts.HostTimeout
	}
	return defaultHostTimeout
}

// openSession opens a session and runs setup on it (PTY, pipes, start)
// within the host deadline and ctx: when either ends first, the session is
// closed, which ends a request the host does not answer. On error the
// session is closed.
func (hr *hostRun) openSession(ctx context.Context, setup func(transport.Session) error) (transport.Session, error) {
	d := hr.s.r.hostTimeout()
	octx, cancel := context.WithTimeout(ctx, d)
	sess, err := hr.h.conn.NewSession(octx)
	cancel()
	if err != nil {
		return nil, hr.setupErr(ctx, octx, d, fmt.Errorf("open session: %w", err))
	}
	timer := time.AfterFunc(d, func() { sess.Close() })
	stop := context.AfterFunc(ctx, func() { sess.Close() })
	err = setup(sess)
	timedOut, interrupted := !timer.Stop(), !stop()
	switch {
	case timedOut:
		err = fmt.Errorf("%w: the host did not start the command within %s", errTimeout, d)
	case interrupted:
		err = context.Cause(ctx)
	}
	if err != nil {
		sess.Close()
		return nil, err
	}
	return sess, nil
}

// setupErr says why a session could not be opened: the caller's ctx, the
// host deadline, or err.
func (hr *hostRun) setupErr(ctx, octx context.Context, d time.Duration, err error) error {
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case octx.Err() != nil:
		return fmt.Errorf("%w: the host did not open a session within %s", errTimeout, d)
	}
	return err
}
