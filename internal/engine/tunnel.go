package engine

import (
	"context"
	"fmt"
	"io"

	"github.com/drover-sh/drover/internal/event"
)

// withTunnels opens the plan's tunnels on the host, runs fn and closes
// them. A tunnel that cannot be opened fails the host.
func (hr *hostRun) withTunnels(ctx context.Context, fn func(context.Context) (event.Result, string)) (event.Result, string) {
	tunnels := hr.s.r.tunnels
	if len(tunnels) == 0 {
		return fn(ctx)
	}
	if err := hr.connErr(); err != nil {
		return event.Failed, err.Error()
	}
	var open []io.Closer
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for _, t := range tunnels {
		c, err := hr.h.conn.ForwardRemote(ctx, t.Remote, t.Local)
		if err != nil {
			return event.Failed, fmt.Sprintf("tunnel %s -> %s: %v", t.Remote, t.Local, err)
		}
		open = append(open, c)
	}
	return fn(ctx)
}
