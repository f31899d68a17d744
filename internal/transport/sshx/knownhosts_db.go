package sshx

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Markers of known_hosts lines.
const (
	markerCA      = "cert-authority"
	markerRevoked = "revoked"
)

// khEntry is one line of a known_hosts file.
type khEntry struct {
	file   string
	line   int
	marker string   // "", markerCA or markerRevoked
	hosts  []string // patterns, or one hashed name "|1|salt|hash"
	key    ssh.PublicKey
}

// parseKnownHosts reads the entries of one known_hosts file. Lines it
// cannot parse (unsupported key types, garbage) are skipped, as ssh does.
func parseKnownHosts(file string, data []byte) []khEntry {
	var out []khEntry
	for i, line := range bytes.Split(data, []byte("\n")) {
		marker, hosts, key, _, _, err := ssh.ParseKnownHosts(line)
		if err != nil || (marker != "" && marker != markerCA && marker != markerRevoked) {
			continue // io.EOF: a blank or comment line
		}
		out = append(out, khEntry{file: file, line: i + 1, marker: marker, hosts: hosts, key: key})
	}
	return out
}

// matches reports whether the entry is for host (already in known_hosts
// form: "name" or "[name]:port", lower case), as OpenSSH's hostfile.c
// decides: a hashed name must hash to the same value; a pattern list
// matches when a pattern matches and no negated one does.
func (e khEntry) matches(host string) bool {
	if len(e.hosts) == 1 && strings.HasPrefix(e.hosts[0], "|1|") {
		return hashedMatch(e.hosts[0], host)
	}
	return matchPatternList(host, e.hosts) == 1
}

// hashedMatch checks host against "|1|base64(salt)|base64(HMAC-SHA1)".
func hashedMatch(entry, host string) bool {
	parts := strings.Split(entry[len("|1|"):], "|")
	if len(parts) != 2 {
		return false
	}
	salt, err1 := base64.StdEncoding.DecodeString(parts[0])
	want, err2 := base64.StdEncoding.DecodeString(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(host))
	return hmac.Equal(mac.Sum(nil), want)
}

// matchPatternList is OpenSSH's match_pattern_list on a lower-cased name:
// 1 for a match, -1 when a negated pattern matches, 0 otherwise.
func matchPatternList(name string, patterns []string) int {
	got := 0
	for _, p := range patterns {
		p = strings.ToLower(p)
		negated := strings.HasPrefix(p, "!")
		if negated {
			p = p[1:]
		}
		if matchPattern(name, p) {
			if negated {
				return -1
			}
			got = 1
		}
	}
	return got
}

// matchPattern matches s against a glob of '*' and '?', as OpenSSH's
// match_pattern does.
func matchPattern(s, p string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchPattern(s[i:], p) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		s, p = s[1:], p[1:]
	}
	return s == ""
}

// khFileCache keeps parsed known_hosts files while they keep the same size
// and modification time, so a farm sharing one file parses it once.
type khFileCache struct {
	mu    sync.Mutex
	files map[string]khCached
}

type khCached struct {
	size, mtime int64
	entries     []khEntry
}

// entries returns the entries of files, in order. A file that does not
// exist has none.
func (c *khFileCache) entries(files []string) ([]khEntry, error) {
	var out []khEntry
	for _, f := range files {
		es, err := c.file(f)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

func (c *khFileCache) file(path string) ([]khEntry, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read known_hosts: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.files[path]; ok && e.size == st.Size() && e.mtime == st.ModTime().UnixNano() {
		return e.entries, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read known_hosts: %w", err)
	}
	es := parseKnownHosts(path, data)
	if c.files == nil {
		c.files = make(map[string]khCached)
	}
	c.files[path] = khCached{size: st.Size(), mtime: st.ModTime().UnixNano(), entries: es}
	return es, nil
}

// readKnownHostsFrom parses the open file f from its start (used under the
// write lock, where the cache may be stale).
func readKnownHostsFrom(path string, f io.ReaderAt, size int64) ([]khEntry, error) {
	data := make([]byte, size)
	if _, err := f.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read known_hosts: %w", err)
	}
	return parseKnownHosts(path, data), nil
}
