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
	"slices"
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
	index       khIndex
}

// khIndex finds a file's entries for a host name without matching every
// line: entries whose patterns are all literal names are found by name,
// the others (hashed, wildcards, negations) are matched one by one. A farm
// of n hosts sharing a file of n plain lines costs n lookups, not n².
type khIndex struct {
	byName map[string][]int // lower-cased literal name -> entry numbers
	rest   []int            // entries that must be matched
}

func indexEntries(es []khEntry) khIndex {
	ix := khIndex{byName: map[string][]int{}}
	for i, e := range es {
		if !literal(e.hosts) {
			ix.rest = append(ix.rest, i)
			continue
		}
		for _, h := range e.hosts {
			name := strings.ToLower(h)
			if n := ix.byName[name]; len(n) == 0 || n[len(n)-1] != i {
				ix.byName[name] = append(n, i)
			}
		}
	}
	return ix
}

// literal reports whether patterns are all plain names: not hashed, no
// wildcard, no negation.
func literal(patterns []string) bool {
	for _, p := range patterns {
		if strings.HasPrefix(p, "|") || strings.HasPrefix(p, "!") || strings.ContainsAny(p, "*?") {
			return false
		}
	}
	return true
}

// matching returns the entries of es (indexed by ix) that match any of
// names, in file order.
func (ix khIndex) matching(es []khEntry, names []string) []khEntry {
	var hits []int
	for _, n := range names {
		hits = append(hits, ix.byName[strings.ToLower(n)]...)
	}
	for _, i := range ix.rest {
		if slices.ContainsFunc(names, es[i].matches) {
			hits = append(hits, i)
		}
	}
	slices.Sort(hits)
	hits = slices.Compact(hits)
	out := make([]khEntry, len(hits))
	for j, i := range hits {
		out[j] = es[i]
	}
	return out
}

// entries returns the entries of files, in order. A file that does not
// exist has none.
func (c *khFileCache) entries(files []string) ([]khEntry, error) {
	var out []khEntry
	for _, f := range files {
		e, err := c.file(f)
		if err != nil {
			return nil, err
		}
		out = append(out, e.entries...)
	}
	return out, nil
}

// entriesFor returns the entries of files that name any of names, in
// order.
func (c *khFileCache) entriesFor(files []string, names ...string) ([]khEntry, error) {
	var out []khEntry
	for _, f := range files {
		e, err := c.file(f)
		if err != nil {
			return nil, err
		}
		out = append(out, e.index.matching(e.entries, names)...)
	}
	return out, nil
}

func (c *khFileCache) file(path string) (khCached, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return khCached{}, nil
	}
	if err != nil {
		return khCached{}, fmt.Errorf("read known_hosts: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.files[path]; ok && e.size == st.Size() && e.mtime == st.ModTime().UnixNano() {
		return e, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return khCached{}, fmt.Errorf("read known_hosts: %w", err)
	}
	es := parseKnownHosts(path, data)
	if c.files == nil {
		c.files = make(map[string]khCached)
	}
	e := khCached{size: st.Size(), mtime: st.ModTime().UnixNano(), entries: es, index: indexEntries(es)}
	c.files[path] = e
	return e, nil
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
