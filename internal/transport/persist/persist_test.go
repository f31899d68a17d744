package persist_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/persist"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// keeperFarm starts a farm of n hosts, its known_hosts file, and a keeper
// in this process; it returns a Dialer factory for commands.
type keeperFarm struct {
	farm  *sshtest.Farm
	known string
	dir   string
	done  chan error
}

func startKeeper(t *testing.T, n int, opts sshtest.Options) *keeperFarm {
	t.Helper()
	opts.Hosts, opts.Dir = n, t.TempDir()
	farm, err := sshtest.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start farm: %v", err)
	}
	t.Cleanup(func() { farm.Close() })
	kf := &keeperFarm{farm: farm, known: filepath.Join(t.TempDir(), "known_hosts"),
		dir: filepath.Join(t.TempDir(), "keeper"), done: make(chan error, 1)}
	if err := farm.KnownHosts(kf.known); err != nil {
		t.Fatal(err)
	}
	go func() { kf.done <- persist.Serve(kf.dir) }()
	t.Cleanup(func() {
		persist.Disconnect(context.Background(), kf.dir)
		select {
		case <-kf.done:
		case <-time.After(10 * time.Second):
			t.Error("the keeper did not end")
		}
	})
	// The socket file appears at bind, a moment before the keeper listens.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if c, err := net.Dial("unix", filepath.Join(kf.dir, "persist.sock")); err == nil {
			c.Close()
			return kf
		}
		if time.Now().After(deadline) {
			t.Fatal("the keeper did not listen")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dialer is one command's Dialer.
func (kf *keeperFarm) dialer() *persist.Dialer {
	return &persist.Dialer{Dir: kf.dir, Persist: time.Minute,
		Options: persist.DialOptions{KeepaliveInterval: time.Second, KeepaliveCountMax: 3, ConnectTimeout: 5 * time.Second}}
}

func (kf *keeperFarm) endpoint(i int) transport.Endpoint {
	return kf.farm.Endpoint(kf.farm.Hosts[i], kf.known)
}

// run runs cmd on c with stdin, and returns its stdout, stderr and Wait's
// error.
func run(t *testing.T, c transport.Conn, cmd, stdin string) (string, string, error) {
	t.Helper()
	sess, err := c.NewSession(context.Background())
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	defer sess.Close()
	in, err := sess.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, err := transport.OutputPipes(sess)
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start(cmd); err != nil {
		t.Fatalf("start %q: %v", cmd, err)
	}
	go func() {
		io.WriteString(in, stdin)
		in.Close()
	}()
	var o, e bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&e, errOut); close(done) }()
	io.Copy(&o, out)
	<-done
	return o.String(), e.String(), sess.Wait()
}

// TestPersistReuses: a second command gets the first one's connection (no
// new TCP connection), sessions carry stdin, stdout, stderr and the exit
// status, and a PTY session works.
func TestPersistReuses(t *testing.T) {
	kf := startKeeper(t, 2, sshtest.Options{})
	first := kf.dialer()
	var conns []transport.Conn
	for i := range kf.farm.Hosts {
		c, err := first.Dial(context.Background(), kf.endpoint(i))
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		if persist.Reused(c) {
			t.Errorf("first dial of %s reused a connection", kf.farm.Hosts[i].Name)
		}
		conns = append(conns, c)
	}
	out, errOut, err := run(t, conns[0], "cat; echo err >&2; exit 3", "from stdin\n")
	var ee *transport.ExitError
	if out != "from stdin\n" || errOut != "err\n" || !errors.As(err, &ee) || ee.Code != 3 {
		t.Errorf("run = %q, %q, %v; want the input back, err, exit 3", out, errOut, err)
	}
	for _, c := range conns {
		c.Close()
	}
	accepted := kf.farm.Hosts[0].Accepted()

	second := kf.dialer()
	c, err := second.Dial(context.Background(), kf.endpoint(0))
	if err != nil {
		t.Fatalf("second dial: %v", err)
	}
	defer c.Close()
	if !persist.Reused(c) {
		t.Error("the second command did not get the kept connection")
	}
	if n, ok := sshx.NegotiatedOf(c); !ok || n.KeyExchange == "" || n.Cipher == "" {
		t.Errorf("the kept connection's negotiated algorithms = %+v, %v; want them as drover hosts -v shows them", n, ok)
	}
	if out, _, err := run(t, c, "echo again", ""); out != "again\n" || err != nil {
		t.Errorf("run on the kept connection = %q, %v", out, err)
	}
	if n := kf.farm.Hosts[0].Accepted(); n != accepted {
		t.Errorf("the host accepted %d connections for the second command", n-accepted)
	}

	sess, err := c.NewSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	sess.RequestPTY("xterm", 24, 80)
	out2, _ := sess.StdoutPipe()
	if err := sess.Start("tty >/dev/null && echo has-tty"); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out2)
	if err := sess.Wait(); err != nil || !strings.Contains(string(b), "has-tty") {
		t.Errorf("pty session: %q, %v", b, err)
	}
}

// TestPersistHostKeyRechecked: a kept connection is not handed out once
// the known_hosts file no longer holds its key; the command gets the same
// host key error a fresh dial gives.
func TestPersistHostKeyRechecked(t *testing.T) {
	kf := startKeeper(t, 1, sshtest.Options{})
	c, err := kf.dialer().Dial(context.Background(), kf.endpoint(0))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := os.WriteFile(kf.known, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = kf.dialer().Dial(context.Background(), kf.endpoint(0))
	var hk *transport.HostKeyError
	if !errors.As(err, &hk) || hk.Problem != transport.HostKeyUnknown {
		t.Errorf("dial after the key was removed = %v, want an unknown host key", err)
	}
}

// TestPersistLost: a host that drops its connection is lost for the
// command holding it, and the next command dials afresh.
func TestPersistLost(t *testing.T) {
	kf := startKeeper(t, 1, sshtest.Options{})
	c, err := kf.dialer().Dial(context.Background(), kf.endpoint(0))
	if err != nil {
		t.Fatal(err)
	}
	kf.farm.Hosts[0].Drop()
	select {
	case <-c.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("a dropped connection was not declared lost")
	}
	if !errors.Is(c.Err(), transport.ErrLost) {
		t.Errorf("Err = %v, want lost", c.Err())
	}
	c2, err := kf.dialer().Dial(context.Background(), kf.endpoint(0))
	if err != nil {
		t.Fatalf("dial after the loss: %v", err)
	}
	defer c2.Close()
	if persist.Reused(c2) {
		t.Error("a lost connection was handed out again")
	}
}

// TestPersistAsksBack: the password the keeper needs is asked on the
// command's side, once.
func TestPersistAsksBack(t *testing.T) {
	kf := startKeeper(t, 2, sshtest.Options{Password: "s3cret"})
	d := kf.dialer()
	d.Options.Password = true
	asked := 0
	d.Ask = func(_ context.Context, kind, _ string) (string, error) {
		asked++
		if kind != "password" {
			t.Errorf("asked for %q", kind)
		}
		return "s3cret", nil
	}
	for i := range kf.farm.Hosts {
		ep := kf.endpoint(i)
		ep.Identities, ep.IdentitiesOnly = nil, true
		c, err := d.Dial(context.Background(), ep)
		if err != nil {
			t.Fatalf("dial with a password: %v", err)
		}
		c.Close()
	}
	if asked != 1 {
		t.Errorf("asked %d times, want once", asked)
	}
}

// TestPersistDisconnect: disconnect closes the kept connections and ends
// the keeper; a later command finds none.
func TestPersistDisconnect(t *testing.T) {
	kf := startKeeper(t, 1, sshtest.Options{})
	c, err := kf.dialer().Dial(context.Background(), kf.endpoint(0))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	n, err := persist.Disconnect(context.Background(), kf.dir)
	if err != nil || n != 1 {
		t.Errorf("Disconnect = %d, %v; want 1 connection closed", n, err)
	}
	select {
	case err := <-kf.done:
		kf.done <- err
	case <-time.After(5 * time.Second):
		t.Fatal("the keeper still runs")
	}
	if n, err := persist.Disconnect(context.Background(), kf.dir); n != 0 || err != nil {
		t.Errorf("second Disconnect = %d, %v; want nothing to do", n, err)
	}
	// The host sees the connection close a moment after the keeper closed it.
	for deadline := time.Now().Add(5 * time.Second); kf.farm.Hosts[0].Open() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open on the host", kf.farm.Hosts[0].Open())
		}
	}
}

// TestPersistPrivateDir: a keeper directory others may enter is refused,
// by the keeper and by a command.
func TestPersistPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := persist.Serve(dir); err == nil || !strings.Contains(err.Error(), "0700") {
		t.Errorf("Serve in a 0755 directory = %v, want refused", err)
	}
	d := &persist.Dialer{Dir: dir}
	if _, err := d.Dial(context.Background(), transport.Endpoint{Host: "x"}); err == nil || !strings.Contains(err.Error(), "0700") {
		t.Errorf("Dial with a 0755 directory = %v, want refused", err)
	}
}

// echoServer answers every connection with what it reads.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// roundTrip writes a line to c and reads it back.
func roundTrip(t *testing.T, c net.Conn, line string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != line+"\n" {
		t.Errorf("read back %q, %v; want %q", got, err, line)
	}
}

// TestPersistForwardAndDial: remote forwards and network connections from
// the host work on a kept connection (tunnels and load balancer steps).
func TestPersistForwardAndDial(t *testing.T) {
	kf := startKeeper(t, 1, sshtest.Options{})
	echo := echoServer(t)
	c, err := kf.dialer().Dial(context.Background(), kf.endpoint(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	nc, err := transport.DialVia(context.Background(), c, "tcp", echo)
	if err != nil {
		t.Fatalf("dial through the kept connection: %v", err)
	}
	roundTrip(t, nc, "through the host")
	nc.Close()

	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	remote := free.Addr().String()
	free.Close()
	fwd, err := c.ForwardRemote(context.Background(), remote, echo)
	if err != nil {
		t.Fatalf("forward: %v", err)
	}
	nc, err = net.Dial("tcp", remote)
	if err != nil {
		t.Fatalf("connect to the forwarded port: %v", err)
	}
	roundTrip(t, nc, "back from the host")
	nc.Close()
	fwd.Close()
}

// TestPersistSessionClosedWhileRunning: a session closed while its command
// runs (the host shell at the end of a stage) ends Wait with an error, and
// the read of its closed socket does not bring the command down.
func TestPersistSessionClosedWhileRunning(t *testing.T) {
	kf := startKeeper(t, 1, sshtest.Options{})
	c, err := kf.dialer().Dial(context.Background(), kf.endpoint(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 5 {
		sess, err := c.NewSession(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sess.StdoutPipe(); err != nil {
			t.Fatal(err)
		}
		if err := sess.Start("sleep 10"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // its end is being awaited
		sess.Close()
		done := make(chan error, 1)
		go func() { done <- sess.Wait() }()
		select {
		case err := <-done:
			if err == nil {
				t.Error("Wait of a closed session = nil, want an error")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Wait did not return after Close")
		}
	}
}
