package transporttest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/drover-sh/drover/internal/transport"
)

// exitNoBash is the status of the remote check when the host has no bash
// (its /dev/tcp is the only client every host is sure to have).
const exitNoBash = 97

func testForwardRemote(t *testing.T, tg Target) {
	conn := dial(t, tg.Dialer, tg.Login)
	echo := startEcho(t)
	fwd, err := conn.ForwardRemote(testContext(t), "127.0.0.1:0", echo)
	if err != nil {
		t.Fatalf("forward remote: %v", err)
	}
	t.Cleanup(func() { fwd.Close() })
	port := forwardedPort(t, fwd)
	err = runClient(t, conn, port, "got ping\n")
	if transport.ExitCode(err) == exitNoBash {
		t.Skip("no bash on the host")
	}
	if err != nil {
		t.Fatalf("remote client: %v", err)
	}
	if err := fwd.Close(); err != nil {
		t.Fatalf("stop forwarding: %v", err)
	}
	if err := runClient(t, conn, port, ""); err == nil {
		t.Fatal("the forwarded port still answers after Close")
	}
}

// runClient connects to port on the host's loopback from a command on the
// host, sends a line and checks that the host prints want.
func runClient(t *testing.T, conn transport.Conn, port int, want string) error {
	t.Helper()
	cmd := fmt.Sprintf(`command -v bash >/dev/null || exit %d
bash -c 'exec 3<>/dev/tcp/127.0.0.1/%d && echo ping >&3 && read -r line <&3 && echo "got $line"' 2>/dev/null`, exitNoBash, port)
	st := start(t, conn, cmd, false)
	st.stdin.Close()
	if err := st.wait(t); err != nil {
		return err
	}
	if got := st.stdout.all(t); got != want {
		t.Fatalf("remote client said %q, want %q", got, want)
	}
	return nil
}

// forwardedPort is the port the host listens on for fwd.
func forwardedPort(t *testing.T, fwd io.Closer) int {
	t.Helper()
	a, ok := fwd.(interface{ Addr() net.Addr })
	if !ok {
		t.Skip("forward does not report its address")
	}
	_, p, err := net.SplitHostPort(a.Addr().String())
	if err != nil {
		t.Fatalf("forwarded address %v: %v", a.Addr(), err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port == 0 {
		t.Fatalf("forwarded address %v has no port", a.Addr())
	}
	return port
}

// startEcho runs a line echo server on loopback until the test ends.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { echoLines(c) })
		}
	})
	return ln.Addr().String()
}

func echoLines(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if strings.TrimSpace(line) != "" {
			io.WriteString(c, line)
		}
		if err != nil {
			return
		}
	}
}
