package sshx

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// acceptNew records an unknown key in the endpoint's first known_hosts
// file, as OpenSSH's accept-new does. The file is locked (within this
// process and, with flock, against other processes) and read again before
// anything is written, so hosts dialled at once — targets, jump hosts, two
// drover runs — never write a key twice or two keys for one host: whoever
// comes second sees the first one's line and judges the key by it.
func (d *Dialer) acceptNew(hc *hostKeyCheck, key ssh.PublicKey) error {
	file := hc.user[0]
	d.knownMu.Lock()
	defer d.knownMu.Unlock()
	// Like ssh, make a missing ~/.ssh (one level, private) and nothing
	// else: a known_hosts path under a directory that does not exist is
	// more likely a typo than a wish for new directories.
	if dir := filepath.Dir(file); filepath.Base(dir) == ".ssh" {
		if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
			return fmt.Errorf("accept new host key: %w", err)
		}
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("accept new host key: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("accept new host key: lock %s: %w", file, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)

	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("accept new host key: %w", err)
	}
	fresh, err := readKnownHostsFrom(file, f, st.Size())
	if err != nil {
		return err
	}
	others, err := d.knownHosts.entries(slices.Concat(hc.user[1:], hc.global))
	if err != nil {
		return err
	}
	if v := hc.judge(slices.Concat(fresh, others), key); v.status != khUnknown {
		return hc.verdictError(v, key)
	}
	return appendLine(f, file, st.Size(), hc.line(key))
}

// line is the known_hosts line for key under the host's lookup name,
// hashed when HashKnownHosts is set, as ssh writes it.
func (hc *hostKeyCheck) line(key ssh.PublicKey) string {
	name := hc.host
	if hc.hash {
		name = knownhosts.HashHostname(name)
	}
	return name + " " + string(ssh.MarshalAuthorizedKey(key))
}

// appendLine appends line (ending in a newline) to f, first ending an
// unterminated last line.
func appendLine(f *os.File, file string, size int64, line string) error {
	if size > 0 {
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, size-1); err == nil && b[0] != '\n' {
			line = "\n" + line
		}
	}
	if _, err := f.WriteString(line); err != nil {
		return fmt.Errorf("accept new host key: write %s: %w", file, err)
	}
	return nil
}
