package sshtest

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// forwarder serves port forwarding on one host: "direct-tcpip" channels
// (the client's -L and ProxyJump) and "tcpip-forward" listeners (the
// client's -R). Only loopback addresses are dialed or listened on. It owns
// every goroutine and connection it starts; close ends them all.
type forwarder struct {
	host *Host

	mu        sync.Mutex
	closed    bool
	listeners map[forwardKey]net.Listener
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
}

// forwardKey names a remote listener as its client does: the bind address
// it asked for and the port it got.
type forwardKey struct {
	conn *gossh.ServerConn
	addr string
	port uint32
}

// Payloads of forwarding requests and channels, as in RFC 4254 section 7.
type (
	forwardRequest struct {
		BindAddr string
		BindPort uint32
	}
	forwardReply   struct{ Port uint32 }
	forwardChannel struct {
		DestAddr   string
		DestPort   uint32
		OriginAddr string
		OriginPort uint32
	}
)

func newForwarder(h *Host) *forwarder {
	return &forwarder{
		host:      h,
		listeners: make(map[forwardKey]net.Listener),
		conns:     make(map[net.Conn]struct{}),
	}
}

// enter registers a goroutine; it fails once the forwarder is closed.
func (f *forwarder) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.wg.Add(1)
	return true
}

// track registers a forwarded TCP connection so close can end it.
func (f *forwarder) track(c net.Conn, add bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if add && f.closed {
		return false
	}
	if add {
		f.conns[c] = struct{}{}
	} else {
		delete(f.conns, c)
	}
	return true
}

// handleDirect serves a "direct-tcpip" channel: it dials the loopback
// destination and splices it to the channel.
func (f *forwarder) handleDirect(_ *gliderssh.Server, _ *gossh.ServerConn, nc gossh.NewChannel, ctx gliderssh.Context) {
	if !f.enter() {
		_ = nc.Reject(gossh.ResourceShortage, "host is shutting down")
		return
	}
	defer f.wg.Done()
	var d forwardChannel
	if err := gossh.Unmarshal(nc.ExtraData(), &d); err != nil {
		_ = nc.Reject(gossh.ConnectionFailed, "bad direct-tcpip request")
		return
	}
	if !isLoopback(d.DestAddr) {
		_ = nc.Reject(gossh.Prohibited, "only loopback destinations are forwarded")
		return
	}
	dialCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var dialer net.Dialer
	dest := net.JoinHostPort(d.DestAddr, strconv.Itoa(int(d.DestPort)))
	c, err := dialer.DialContext(dialCtx, "tcp", dest)
	if err != nil {
		_ = nc.Reject(gossh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		c.Close()
		return
	}
	f.splice(ch, reqs, c)
}

// splice copies both ways between ch and c until either side ends, then
// closes both.
func (f *forwarder) splice(ch gossh.Channel, reqs <-chan *gossh.Request, c net.Conn) {
	if !f.track(c, true) {
		c.Close()
		ch.Close()
		return
	}
	defer f.track(c, false)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		gossh.DiscardRequests(reqs)
	}()
	closeBoth := func() { ch.Close(); c.Close() }
	go func() {
		defer wg.Done()
		_, _ = io.Copy(ch, c)
		closeBoth()
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(c, ch)
		closeBoth()
	}()
	wg.Wait()
}

// handleListen serves "tcpip-forward": it listens on a loopback address and
// opens a "forwarded-tcpip" channel for every connection accepted, until
// the request is cancelled or the SSH connection ends.
func (f *forwarder) handleListen(ctx gliderssh.Context, _ *gliderssh.Server, req *gossh.Request) (bool, []byte) {
	var r forwardRequest
	if err := gossh.Unmarshal(req.Payload, &r); err != nil {
		return false, nil
	}
	bind := r.BindAddr
	switch bind {
	case "", "0.0.0.0", "::", "localhost":
		bind = "127.0.0.1"
	}
	if !isLoopback(bind) {
		return false, nil
	}
	conn, ok := ctx.Value(gliderssh.ContextKeyConn).(*gossh.ServerConn)
	if !ok {
		return false, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, strconv.Itoa(int(r.BindPort))))
	if err != nil {
		return false, nil
	}
	port := uint32(ln.Addr().(*net.TCPAddr).Port)
	key := forwardKey{conn: conn, addr: r.BindAddr, port: port}
	if !f.addListener(key, ln) {
		ln.Close()
		return false, nil
	}
	go func() {
		defer f.wg.Done()
		f.serveListener(ctx, key, ln)
	}()
	return true, gossh.Marshal(forwardReply{Port: port})
}

// addListener records ln and registers its serving goroutine.
func (f *forwarder) addListener(key forwardKey, ln net.Listener) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.listeners[key] = ln
	f.wg.Add(1)
	return true
}

func (f *forwarder) serveListener(ctx context.Context, key forwardKey, ln net.Listener) {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer f.removeListener(key, ln)
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if !f.enter() {
			c.Close()
			return
		}
		go func() {
			defer f.wg.Done()
			f.forwardAccepted(key, c)
		}()
	}
}

func (f *forwarder) removeListener(key forwardKey, ln net.Listener) {
	ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listeners[key] == ln {
		delete(f.listeners, key)
	}
}

// forwardAccepted opens a "forwarded-tcpip" channel to the client for c.
func (f *forwarder) forwardAccepted(key forwardKey, c net.Conn) {
	origin := c.RemoteAddr().(*net.TCPAddr)
	payload := gossh.Marshal(forwardChannel{
		DestAddr:   key.addr,
		DestPort:   key.port,
		OriginAddr: origin.IP.String(),
		OriginPort: uint32(origin.Port),
	})
	ch, reqs, err := key.conn.OpenChannel("forwarded-tcpip", payload)
	if err != nil {
		c.Close()
		return
	}
	f.splice(ch, reqs, c)
}

// handleCancel serves "cancel-tcpip-forward".
func (f *forwarder) handleCancel(ctx gliderssh.Context, _ *gliderssh.Server, req *gossh.Request) (bool, []byte) {
	var r forwardRequest
	if err := gossh.Unmarshal(req.Payload, &r); err != nil {
		return false, nil
	}
	conn, _ := ctx.Value(gliderssh.ContextKeyConn).(*gossh.ServerConn)
	f.mu.Lock()
	ln, ok := f.listeners[forwardKey{conn: conn, addr: r.BindAddr, port: r.BindPort}]
	f.mu.Unlock()
	if ok {
		ln.Close()
	}
	return ok, nil
}

// close stops every listener and connection and waits for every goroutine
// of the forwarder.
func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	for _, ln := range f.listeners {
		ln.Close()
	}
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
