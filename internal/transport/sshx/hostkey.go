package sshx

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"

	"github.com/drover-sh/drover/internal/transport"
)

// hostKeyCheck verifies one host's key against its known_hosts files and
// remembers the problem it found, so Dial can return it as it is instead of
// wrapped in the handshake error.
type hostKeyCheck struct {
	d     *Dialer
	files []string // every known_hosts file of the endpoint; the first is written
	db    *knownhosts.HostKeyDB

	mu  sync.Mutex
	err error
}

// newHostKeyCheck loads the endpoint's known_hosts files. Files that do not
// exist yet count as empty.
func (d *Dialer) newHostKeyCheck(files []string) (*hostKeyCheck, error) {
	db, err := d.knownHosts.load(files)
	if err != nil {
		return nil, err
	}
	return &hostKeyCheck{d: d, files: files, db: db}, nil
}

// knownHostsCache keeps parsed known_hosts files while they stay the same
// size and age, so a farm sharing one file parses it once, not per host.
type knownHostsCache struct {
	mu      sync.Mutex
	entries map[string]knownHostsEntry // by the list of files
}

type knownHostsEntry struct {
	stamp string // size and modification time of every file
	db    *knownhosts.HostKeyDB
}

// load returns the database of files, nil when none of them exists.
func (c *knownHostsCache) load(files []string) (*knownhosts.HostKeyDB, error) {
	existing, stamp, err := statFiles(files)
	if err != nil || len(existing) == 0 {
		return nil, err
	}
	key := strings.Join(files, "\x00")
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.stamp == stamp {
		return e.db, nil
	}
	db, err := knownhosts.NewDB(existing...)
	if err != nil {
		return nil, fmt.Errorf("read known_hosts: %w", err)
	}
	if c.entries == nil {
		c.entries = make(map[string]knownHostsEntry)
	}
	c.entries[key] = knownHostsEntry{stamp: stamp, db: db}
	return db, nil
}

// statFiles returns the files that exist and a stamp that changes when any
// of them does.
func statFiles(files []string) ([]string, string, error) {
	var existing []string
	var stamp strings.Builder
	for _, f := range files {
		st, err := os.Stat(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("read known_hosts: %w", err)
		}
		existing = append(existing, f)
		fmt.Fprintf(&stamp, "%s %d %d\n", f, st.Size(), st.ModTime().UnixNano())
	}
	return existing, stamp.String(), nil
}

// algorithms lists the host key algorithms to offer: those of keys already
// known for addr first, so a host with several keys presents the one we
// know, then every other supported algorithm.
func (hc *hostKeyCheck) algorithms(addr string) []string {
	var algos []string
	if hc.db != nil {
		algos = hc.db.HostKeyAlgorithms(addr)
	}
	for _, a := range ssh.SupportedAlgorithms().HostKeys {
		if !slices.Contains(algos, a) {
			algos = append(algos, a)
		}
	}
	return algos
}

// callback is the ssh.HostKeyCallback for the handshake.
func (hc *hostKeyCheck) callback(hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := hc.verify(hostname, remote, key)
	var hkErr *transport.HostKeyError
	if errors.As(err, &hkErr) {
		hc.mu.Lock()
		hc.err = hkErr
		hc.mu.Unlock()
	}
	return err
}

func (hc *hostKeyCheck) verify(hostname string, remote net.Addr, key ssh.PublicKey) error {
	if hc.db == nil {
		return hc.unknown(hostname, key)
	}
	err := hc.db.HostKeyCallback()(hostname, remote, key)
	var keyErr *xknownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &keyErr) && len(keyErr.Want) == 0:
		return hc.unknown(hostname, key)
	case errors.As(err, &keyErr):
		return &transport.HostKeyError{
			Problem:     transport.HostKeyChanged,
			Host:        knownhosts.Normalize(hostname),
			KeyType:     key.Type(),
			Fingerprint: ssh.FingerprintSHA256(key),
			File:        keyErr.Want[0].Filename,
			Line:        keyErr.Want[0].Line,
		}
	default:
		return fmt.Errorf("check host key of %s: %w", hostname, err)
	}
}

// unknown refuses an unknown key, or records it with AcceptNew.
func (hc *hostKeyCheck) unknown(hostname string, key ssh.PublicKey) error {
	if hc.d.opts.AcceptNew && len(hc.files) > 0 {
		return hc.d.appendKnownHost(hc.files[0], hostname, key)
	}
	return &transport.HostKeyError{
		Problem:     transport.HostKeyUnknown,
		Host:        knownhosts.Normalize(hostname),
		KeyType:     key.Type(),
		Fingerprint: ssh.FingerprintSHA256(key),
	}
}

// problem returns the host key problem found during the handshake, if any.
func (hc *hostKeyCheck) problem() error {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	return hc.err
}

// appendKnownHost adds "host type base64" to file, creating the file and
// its directory when needed.
func (d *Dialer) appendKnownHost(file, hostname string, key ssh.PublicKey) error {
	d.knownMu.Lock()
	defer d.knownMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("accept new host key: %w", err)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("accept new host key: %w", err)
	}
	line := knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key) + "\n"
	if needsNewline(file) {
		line = "\n" + line
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("accept new host key: write %s: %w", file, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("accept new host key: write %s: %w", file, err)
	}
	return nil
}

// needsNewline reports whether file is non-empty and lacks a final newline.
func needsNewline(file string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return false
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, st.Size()-1); err != nil {
		return false
	}
	return b[0] != '\n'
}
