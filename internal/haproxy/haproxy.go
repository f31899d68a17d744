// Package haproxy speaks HAProxy's runtime API (the stats socket, as in
// HAProxy's management guide): it reads `show servers state` and `show
// stat`, and sets a server's state to drain, maint or ready.
//
// It sends one command per connection, in the API's non-interactive mode,
// and knows nothing of runbooks, hosts or SSH: the caller gives it a way to
// dial the socket, from here or through a host's SSH connection.
package haproxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// DialFunc connects to the runtime API socket.
type DialFunc func(ctx context.Context) (net.Conn, error)

// Client talks to one HAProxy's runtime API. It is safe for concurrent
// use: every command has its own connection.
type Client struct {
	Dial DialFunc
	Name string // for messages, e.g. "127.0.0.1:9999"
}

// responseLimit bounds what one command may answer.
const responseLimit = 4 << 20

// Command sends one command and returns the full answer.
func (c *Client) Command(ctx context.Context, cmd string) (string, error) {
	nc, err := c.Dial(ctx)
	if err != nil {
		return "", fmt.Errorf("haproxy %s: connect: %w", c.Name, err)
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	if _, err := io.WriteString(nc, cmd+"\n"); err != nil {
		return "", fmt.Errorf("haproxy %s: %s: %w", c.Name, cmd, err)
	}
	b, err := io.ReadAll(io.LimitReader(nc, responseLimit))
	if err != nil && !errors.Is(err, io.EOF) {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return "", fmt.Errorf("haproxy %s: %s: %w", c.Name, cmd, err)
	}
	return string(b), nil
}

// State is what drover asks HAProxy to make of a server.
type State string

const (
	Drain State = "drain" // no new connections, existing ones finish
	Maint State = "maint" // out of service
	Ready State = "ready" // back in service
)

// SetState sets a server's administrative state. HAProxy answers nothing
// on success and a message otherwise.
func (c *Client) SetState(ctx context.Context, backend, server string, s State) error {
	cmd := fmt.Sprintf("set server %s/%s state %s", backend, server, s)
	out, err := c.Command(ctx, cmd)
	if err != nil {
		return err
	}
	if msg := strings.TrimSpace(out); msg != "" {
		return fmt.Errorf("haproxy %s: %s: %s", c.Name, cmd, firstLine(msg))
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Servers returns the names of a backend's servers from `show servers
// state BACKEND`; ErrNoBackend when HAProxy has no such backend.
func (c *Client) Servers(ctx context.Context, backend string) ([]string, error) {
	out, err := c.Command(ctx, "show servers state "+backend)
	if err != nil {
		return nil, err
	}
	return parseServersState(out, backend)
}

// ErrNoBackend is returned by Servers for a backend HAProxy does not have.
var ErrNoBackend = errors.New("no such backend")

// parseServersState reads the version line, the header and one line per
// server: "be_id be_name srv_id srv_name ...".
func parseServersState(out, backend string) ([]string, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	if !sc.Scan() {
		return nil, errors.New("show servers state: empty answer")
	}
	if v := strings.TrimSpace(sc.Text()); v != "1" {
		if strings.Contains(strings.ToLower(out), "can't find backend") {
			return nil, fmt.Errorf("backend %s: %w", backend, ErrNoBackend)
		}
		return nil, fmt.Errorf("show servers state: unexpected answer %q", firstLine(out))
	}
	var names []string
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if f[1] == backend {
			names = append(names, f[3])
		}
	}
	return names, sc.Err()
}
