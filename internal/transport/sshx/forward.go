package sshx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// forward accepts connections on a listener opened on the host and
// connects each one to a local address.
type forward struct {
	ln      net.Listener
	local   string
	release func() // ends the forward's use of the connection

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
	wg    sync.WaitGroup
}

// ForwardRemote asks the host to listen on remoteAddr and connects every
// accepted connection to localAddr. The returned value also has
// Addr() net.Addr, the address the host listens on (useful with port 0).
func (c *conn) ForwardRemote(ctx context.Context, remoteAddr, localAddr string) (io.Closer, error) {
	done := c.use()
	ln, err := await(ctx, c, func() (net.Listener, error) { return c.client.Listen("tcp", remoteAddr) },
		func(ln net.Listener) { ln.Close() })
	if err != nil {
		done()
		return nil, fmt.Errorf("forward %s on the host to %s: %w", remoteAddr, localAddr, err)
	}
	f := &forward{ln: ln, local: localAddr, conns: make(map[net.Conn]struct{}), release: done}
	f.wg.Add(1)
	go f.accept()
	return f, nil
}

// Addr is the address the host listens on.
func (f *forward) Addr() net.Addr { return f.ln.Addr() }

func (f *forward) accept() {
	defer f.wg.Done()
	for {
		rc, err := f.ln.Accept()
		if err != nil {
			return
		}
		if !f.track(rc) {
			rc.Close()
			return
		}
		f.wg.Add(1)
		go f.serve(rc)
	}
}

// track registers c so Close can end it; false once Close has begun.
func (f *forward) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *forward) untrack(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, c)
}

// serve connects one forwarded connection to the local address and copies
// both ways until both sides have finished.
func (f *forward) serve(rc net.Conn) {
	defer f.wg.Done()
	defer f.untrack(rc)
	defer rc.Close()
	lc, err := net.DialTimeout("tcp", f.local, 10*time.Second)
	if err != nil {
		return
	}
	if !f.track(lc) {
		lc.Close()
		return
	}
	defer f.untrack(lc)
	defer lc.Close()
	done := make(chan struct{}, 2)
	go splice(lc, rc, done)
	go splice(rc, lc, done)
	<-done
	<-done
}

// splice copies src to dst, then half-closes dst when it can.
func splice(dst, src net.Conn, done chan<- struct{}) {
	io.Copy(dst, src)
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	done <- struct{}{}
}

// Close stops listening, ends every forwarded connection and waits for
// their goroutines.
func (f *forward) Close() error {
	f.mu.Lock()
	f.done = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	err := f.ln.Close()
	f.wg.Wait()
	f.release()
	if err != nil && !isClosedErr(err) {
		return fmt.Errorf("stop forwarding: %w", err)
	}
	return nil
}

func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}
