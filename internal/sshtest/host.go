package sshtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Host is one SSH server of a farm. Its fault methods (Drop, Freeze, Thaw,
// Stop, Rekey) are safe for concurrent use; HostKey changes on Rekey, so
// read it from the goroutine that calls Rekey or use KnownHosts.
type Host struct {
	Name    string          // the host's name, e.g. "host01"
	Addr    string          // the IP it listens on
	Port    int             // the TCP port it listens on
	Dir     string          // HOME and working directory of its commands
	HostKey gossh.PublicKey // its current host key

	opts      Options
	signer    gossh.Signer // the current host key
	clientKey gossh.PublicKey
	srv       *gliderssh.Server
	ln        net.Listener
	serveDone chan struct{}
	handlers  sync.WaitGroup // connections being served (see serve)
	forwards  *forwarder

	mu       sync.Mutex
	conns    map[*faultConn]struct{}
	accepted int           // TCP connections accepted so far
	thaw     chan struct{} // non-nil while frozen; closed by Thaw
	closed   bool          // no new sessions once set
	procs    int           // commands running
	idle     chan struct{} // closed when procs drops to zero
	sessions sync.WaitGroup
}

// startHost creates the host's directory and starts its server.
func startHost(name string, opts Options, clientKey gossh.PublicKey) (*Host, error) {
	dir := filepath.Join(opts.Dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create directory of %s: %w", name, err)
	}
	signer, err := newHostSigner()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(opts.Addr, "0"))
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	h := &Host{
		Name:      name,
		Addr:      opts.Addr,
		Port:      ln.Addr().(*net.TCPAddr).Port,
		Dir:       dir,
		HostKey:   signer.PublicKey(),
		opts:      opts,
		signer:    signer,
		ln:        ln,
		clientKey: clientKey,
		serveDone: make(chan struct{}),
		conns:     make(map[*faultConn]struct{}),
	}
	h.forwards = newForwarder(h)
	h.srv = h.newServer(signer)
	go func() {
		defer close(h.serveDone)
		h.serve(ln)
	}()
	return h, nil
}

// serve accepts connections until the listener closes and hands each to
// the server, counting them, so that close can wait for every one before
// the server's Shutdown: Shutdown waits on a WaitGroup that a connection
// still in its handshake adds to later, a race the race detector reports
// (gliderlabs/ssh's Serve gives no way to wait for those).
func (h *Host) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		h.handlers.Add(1)
		go func() {
			defer h.handlers.Done()
			h.srv.HandleConn(c)
		}()
	}
}

func (h *Host) newServer(signer gossh.Signer) *gliderssh.Server {
	srv := &gliderssh.Server{
		HostSigners:      []gliderssh.Signer{signer},
		PublicKeyHandler: h.allowKey,
		ConnCallback:     h.wrapConn,
		Version:          "drover_sandbox",
		ChannelHandlers: map[string]gliderssh.ChannelHandler{
			"session":      h.handleSession,
			"direct-tcpip": h.forwards.handleDirect,
		},
		RequestHandlers: map[string]gliderssh.RequestHandler{
			"keepalive@openssh.com": func(gliderssh.Context, *gliderssh.Server, *gossh.Request) (bool, []byte) {
				return true, nil
			},
			"tcpip-forward":        h.forwards.handleListen,
			"cancel-tcpip-forward": h.forwards.handleCancel,
		},
	}
	if h.opts.Password != "" {
		srv.PasswordHandler = h.allowPassword
	}
	if h.opts.MaxAuthTries != 0 {
		srv.ServerConfigCallback = func(gliderssh.Context) *gossh.ServerConfig {
			return &gossh.ServerConfig{MaxAuthTries: h.opts.MaxAuthTries}
		}
	}
	return srv
}

// Accepted is how many TCP connections the host has accepted so far.
func (h *Host) Accepted() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accepted
}

// Open is how many of its TCP connections are open now.
func (h *Host) Open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Address is "IP:PORT" of the host's listener.
func (h *Host) Address() string {
	return net.JoinHostPort(h.Addr, strconv.Itoa(h.Port))
}

func (h *Host) allowKey(ctx gliderssh.Context, key gliderssh.PublicKey) bool {
	if cert, ok := key.(*gossh.Certificate); ok && h.opts.UserCA != nil {
		checker := gossh.CertChecker{IsUserAuthority: func(ca gossh.PublicKey) bool {
			return gliderssh.KeysEqual(ca, h.opts.UserCA)
		}}
		return checker.CheckCert(ctx.User(), cert) == nil && checker.IsUserAuthority(cert.SignatureKey) &&
			cert.CertType == gossh.UserCert
	}
	return !h.opts.NoKeyAuth && gliderssh.KeysEqual(key, h.clientKey)
}

// SetCertificate makes the host present cert, a host certificate for its
// current key, besides the plain key (HostCertificate).
func (h *Host) SetCertificate(cert *gossh.Certificate) error {
	h.mu.Lock()
	signer := h.signer
	h.mu.Unlock()
	cs, err := gossh.NewCertSigner(cert, signer)
	if err != nil {
		return fmt.Errorf("host certificate of %s: %w", h.Name, err)
	}
	h.srv.AddHostKey(cs)
	return nil
}

func (h *Host) allowPassword(_ gliderssh.Context, password string) bool {
	return password == h.opts.Password
}

// Drop closes every connection to the host at once, as a lost network
// does. The host keeps listening.
func (h *Host) Drop() {
	h.mu.Lock()
	conns := make([]*faultConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Freeze makes the host stop answering: existing and new connections get
// no data and no keepalive replies until Thaw. Commands keep running.
func (h *Host) Freeze() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.thaw == nil {
		h.thaw = make(chan struct{})
	}
}

// Thaw ends a Freeze; held traffic flows again.
func (h *Host) Thaw() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.thaw != nil {
		close(h.thaw)
		h.thaw = nil
	}
}

// Stop takes the host down: it stops listening and drops every
// connection. A stopped host does not come back.
func (h *Host) Stop() {
	_ = h.ln.Close()
	_ = h.srv.Close()
	h.Drop()
}

// Rekey gives the host a new host key; connections made after it see the
// new key.
func (h *Host) Rekey() error {
	signer, err := newHostSigner()
	if err != nil {
		return fmt.Errorf("rekey %s: %w", h.Name, err)
	}
	h.srv.AddHostKey(signer) // replaces the key of the same type
	h.mu.Lock()
	h.HostKey, h.signer = signer.PublicKey(), signer
	h.mu.Unlock()
	return nil
}

func (h *Host) hostKey() gossh.PublicKey {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.HostKey
}

// Processes is the number of commands still running on the host.
func (h *Host) Processes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.procs
}

// WaitIdle blocks until no command runs on the host, or ctx ends.
func (h *Host) WaitIdle(ctx context.Context) error {
	h.mu.Lock()
	if h.procs == 0 {
		h.mu.Unlock()
		return nil
	}
	if h.idle == nil {
		h.idle = make(chan struct{})
	}
	idle := h.idle
	h.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for %s to be idle: %w", h.Name, ctx.Err())
	}
}

func (h *Host) procStarted() {
	h.mu.Lock()
	h.procs++
	h.mu.Unlock()
}

func (h *Host) procEnded() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.procs--
	if h.procs == 0 && h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

// enterSession registers a new session; it fails once the host is closing.
func (h *Host) enterSession() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.sessions.Add(1)
	return true
}

// close stops the host and waits for its server, its sessions and their
// processes to end.
func (h *Host) close() error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.Thaw()
	h.Stop()
	<-h.serveDone
	h.Drop()
	h.handlers.Wait()
	h.forwards.close()
	h.sessions.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil && !errors.Is(err, gliderssh.ErrServerClosed) {
		return fmt.Errorf("stop %s: %w", h.Name, err)
	}
	return nil
}
