package transport

import (
	"errors"
	"fmt"
)

// ExitError reports a remote command that ended with a non-zero status or
// was killed by a signal.
type ExitError struct {
	Code   int    // exit status; -1 when killed by a signal
	Signal string // signal name without "SIG", when killed by one
}

func (e *ExitError) Error() string {
	if e.Signal != "" {
		return "killed by signal " + e.Signal
	}
	return fmt.Sprintf("exit %d", e.Code)
}

// ExitCode returns the exit status carried by err: 0 for nil, the status of
// an *ExitError, and -1 for any other error.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return -1
}

// HostKeyProblem says what is wrong with a host's key.
type HostKeyProblem int

const (
	// HostKeyUnknown: no known_hosts file has a key for the host.
	HostKeyUnknown HostKeyProblem = iota + 1
	// HostKeyChanged: known_hosts has a different key for the host. Never accepted.
	HostKeyChanged
	// HostKeyRevoked: an @revoked line in known_hosts names the key or its
	// certificate authority. Never accepted.
	HostKeyRevoked
)

// HostKeyError reports a host key that is unknown or has changed.
type HostKeyError struct {
	Problem     HostKeyProblem
	Host        string // the name as known_hosts would record it, e.g. "[127.0.0.5]:2222"
	KeyType     string // e.g. "ssh-ed25519"
	Fingerprint string // SHA256:...
	File        string // for HostKeyChanged and HostKeyRevoked: the known_hosts file that decided
	Line        int    // and its line
	Detail      string // why a host certificate was not accepted, if one was presented
}

func (e *HostKeyError) Error() string {
	switch e.Problem {
	case HostKeyChanged:
		msg := fmt.Sprintf("host key for %s changed: now %s %s, %s:%d has another key",
			e.Host, e.KeyType, e.Fingerprint, e.File, e.Line)
		if e.Detail != "" {
			msg += " (" + e.Detail + ")"
		}
		return msg
	case HostKeyRevoked:
		return fmt.Sprintf("host key for %s is revoked: %s %s, see %s:%d",
			e.Host, e.KeyType, e.Fingerprint, e.File, e.Line)
	default:
		return fmt.Sprintf("unknown host key for %s: %s %s", e.Host, e.KeyType, e.Fingerprint)
	}
}

// ErrLost is wrapped by errors returned for a connection that broke or
// stopped answering keepalives.
var ErrLost = errors.New("connection lost")
