// Package transporttest is the conformance suite every transport.Dialer
// implementation runs: exit codes, stdin, separate output streams, prompts
// without a newline on a PTY, interrupting and closing running commands,
// unknown and changed host keys, remote forwarding and parallel sessions.
//
// It only drives the transport interfaces; it does not start servers. The
// caller provides a Target (an in-process farm, or real OpenSSH in e2e).
package transporttest

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// Target is one host to test against, reachable in several ways.
type Target struct {
	// Dialer refuses unknown host keys.
	Dialer transport.Dialer

	// AcceptNewDialer is like Dialer but writes unknown host keys to the
	// endpoint's first known_hosts file (accept-new). nil skips the cases
	// that need it.
	AcceptNewDialer transport.Dialer

	// Login is a normal login that works.
	Login transport.Endpoint

	// Root is an optional second login as root; nil skips its cases.
	Root *transport.Endpoint

	// Unknown is the same host with a known_hosts file (which may not
	// exist yet) that lacks its key. The suite writes to it.
	Unknown transport.Endpoint

	// Changed is the same host with a known_hosts file holding another key
	// for it.
	Changed transport.Endpoint

	// Count says how many processes matching pattern run on the host.
	Count func(t *testing.T, pattern string) int
}

// Timeout bounds every wait of the suite.
const Timeout = 20 * time.Second

// Run runs every case of the suite as a subtest. newTarget is called once
// per case, so cases that write known_hosts files do not see each other.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	cases := []struct {
		name string
		run  func(t *testing.T, tg Target)
	}{
		{"ExitCodes", testExitCodes},
		{"KilledBySignal", testKilledBySignal},
		{"Stdin", testStdin},
		{"SeparateStreams", testSeparateStreams},
		{"PTYPrompt", testPTYPrompt},
		{"InterruptPTY", testInterruptPTY},
		{"InterruptPTYRoot", testInterruptPTYRoot},
		{"InterruptSignal", testInterruptSignal},
		{"CloseDuringWait", testCloseDuringWait},
		{"ConnClose", testConnClose},
		{"UnknownHostKey", testUnknownHostKey},
		{"AcceptNewHostKey", testAcceptNewHostKey},
		{"ChangedHostKey", testChangedHostKey},
		{"ForwardRemote", testForwardRemote},
		{"ParallelSessions", testParallelSessions},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newTarget(t))
		})
	}
}

// testContext returns a context bounded by Timeout and cancelled with the
// test.
func testContext(t *testing.T) context.Context {
	ctx, cancel := contextWithTimeout()
	t.Cleanup(cancel)
	return ctx
}

func contextWithTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), Timeout)
}

// dial connects to ep and closes the connection when the test ends.
func dial(t *testing.T, d transport.Dialer, ep transport.Endpoint) transport.Conn {
	t.Helper()
	conn, err := d.Dial(testContext(t), ep)
	if err != nil {
		t.Fatalf("dial %s: %v", ep.Addr(), err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// eventually polls cond until it holds or Timeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(Timeout)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
