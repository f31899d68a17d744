package sshx

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Dropbear before 2024.86 closes every session channel that has no
// command yet when any command of the connection exits (it checks all
// channels for closing on SIGCHLD, and a session without a process counts
// as ended). A command the client closed before it ended (an interrupted
// watch, a host shell whose stdin was closed) ends a moment later, and the
// session opened meanwhile is closed before its command starts: "start
// command: EOF". On such servers a new session first waits for those
// commands to end (see awaitEnds).

// closesIdleSessions reports whether the server that sent version (its
// identification line, "SSH-2.0-dropbear_2022.83") has that behaviour.
func closesIdleSessions(version string) bool {
	v, ok := strings.CutPrefix(version, "SSH-2.0-dropbear")
	if !ok {
		return false
	}
	v, _, _ = strings.Cut(strings.TrimPrefix(v, "_"), " ")
	year, release, _ := strings.Cut(v, ".")
	y, err1 := strconv.Atoi(year)
	r, err2 := strconv.Atoi(release)
	if err1 != nil || err2 != nil {
		return true // a version it does not say: assume the old behaviour
	}
	return y < 2024 || y == 2024 && r < 86
}

// endsWait bounds how long a new session waits for the commands closed
// before they ended. A command that ignores the hangup holds no later
// session for longer than this, and only once.
const endsWait = 2 * time.Second

// closedEarly records that s, a started session, was closed before its
// command ended, on a server where that matters (see closesIdleSessions).
func (c *conn) closedEarly(s *session) {
	if !c.waitEnds {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-s.exited:
		return
	default:
	}
	if c.ending == nil {
		c.ending = map[*session]bool{}
	}
	c.ending[s] = true
}

// ended forgets s once the host reported its end.
func (c *conn) ended(s *session) {
	if !c.waitEnds {
		return
	}
	c.mu.Lock()
	delete(c.ending, s)
	c.mu.Unlock()
}

// awaitEnds waits, at most endsWait, until the commands closed before they
// ended have ended; those that do not are not waited for again.
func (c *conn) awaitEnds(ctx context.Context) {
	if !c.waitEnds {
		return
	}
	c.mu.Lock()
	pending := make([]*session, 0, len(c.ending))
	for s := range c.ending {
		pending = append(pending, s)
	}
	c.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	t := time.NewTimer(endsWait)
	defer t.Stop()
	for _, s := range pending {
		select {
		case <-s.exited:
		case <-t.C:
			c.mu.Lock()
			for _, s := range pending {
				delete(c.ending, s)
			}
			c.mu.Unlock()
			return
		case <-ctx.Done():
			return
		case <-c.lost:
			return
		}
	}
}
