package persist

import (
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// socketPair is two wires joined to each other.
func socketPair(t *testing.T) (*wire, *wire) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ws [2]*wire
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "pair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		ws[i] = newWire(c.(*net.UnixConn))
		t.Cleanup(func() { ws[i].Close() })
	}
	return ws[0], ws[1]
}

func nonBlocking(t *testing.T, f *os.File) bool {
	t.Helper()
	fd, err := rawFD(f)
	if err != nil {
		t.Fatal(err)
	}
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFL, 0)
	if errno != 0 {
		t.Fatal(errno)
	}
	return flags&syscall.O_NONBLOCK != 0
}

// A pipe handed over stays non-blocking on both sides, so the keeper
// serves it through the poller: a blocking one costs a thread in read(2)
// for as long as the session's stdin is open.
func TestWireHandsOverNonBlocking(t *testing.T) {
	cmd, keeper := socketPair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := cmd.send(msg{Op: "start", Pipes: []string{"stdout"}}, w); err != nil {
		t.Fatal(err)
	}
	if !nonBlocking(t, w) {
		t.Error("sending the pipe made it blocking")
	}
	w.Close()
	m, err := keeper.recv()
	if err != nil || m.Op != "start" {
		t.Fatalf("recv = %+v, %v", m, err)
	}
	files, err := keeper.files(1)
	if err != nil {
		t.Fatal(err)
	}
	out := files[0]
	defer out.Close()
	if err := out.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatalf("received pipe is not served by the poller: %v", err)
	}
	if _, err := out.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := r.Read(b); err != nil || b[0] != 'x' {
		t.Fatalf("read %q, %v", b, err)
	}
}
