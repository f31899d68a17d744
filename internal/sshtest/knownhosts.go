package sshtest

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/ssh/knownhosts"
)

// KnownHosts writes a known_hosts file at path with one line per host,
// "[127.0.0.1]:PORT ssh-ed25519 ...", holding each host's current key.
func (f *Farm) KnownHosts(path string) error {
	var b strings.Builder
	for _, h := range f.Hosts {
		b.WriteString(h.KnownHostsLine())
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write known_hosts: %w", err)
	}
	return nil
}

// KnownHostsLine is the host's known_hosts line, without a newline.
func (h *Host) KnownHostsLine() string {
	return knownhosts.Line([]string{knownhosts.Normalize(h.Address())}, h.hostKey())
}
