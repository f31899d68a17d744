package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// treeEntry is one entry of a local tree an upload sends: its path below
// the tree's root ("./a/b"), what it is, and for a regular file its size
// and SHA-256.
type treeEntry struct {
	path  string
	mode  fs.FileMode // type bits and permissions
	size  int64
	sum   string // hex SHA-256 of a regular file's content
	link  string // a symlink's target
	mtime time.Time
}

func (e treeEntry) regular() bool { return e.mode.IsRegular() }

// tree is a local directory read once per run: every upload of it, to
// any number of hosts, uses the same walk and the same hashes.
type tree struct {
	root    string
	entries []treeEntry // in walk order: a directory before what it holds
	files   int
	bytes   int64 // sum of the regular files' sizes
}

// treeCache reads each local tree of a run once, however many hosts and
// steps upload it. Safe for concurrent use.
type treeCache struct {
	mu    sync.Mutex
	trees map[string]*treeOnce
}

type treeOnce struct {
	once sync.Once
	t    *tree
	err  error
}

// get returns the tree at root, reading and hashing it on the first call.
func (c *treeCache) get(root string) (*tree, error) {
	c.mu.Lock()
	if c.trees == nil {
		c.trees = map[string]*treeOnce{}
	}
	o := c.trees[root]
	if o == nil {
		o = &treeOnce{}
		c.trees[root] = o
	}
	c.mu.Unlock()
	o.once.Do(func() { o.t, o.err = readTree(root) })
	return o.t, o.err
}

// readTree walks root and hashes every regular file.
func readTree(root string) (*tree, error) {
	t := &tree{root: root}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		e, err := entryOf(root, path, d)
		if err != nil {
			return err
		}
		if e.regular() {
			t.files++
			t.bytes += e.size
		}
		t.entries = append(t.entries, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", root, err)
	}
	return t, nil
}

func entryOf(root, path string, d fs.DirEntry) (treeEntry, error) {
	info, err := d.Info()
	if err != nil {
		return treeEntry{}, err
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return treeEntry{}, err
	}
	e := treeEntry{path: "./" + filepath.ToSlash(rel), mode: info.Mode(), size: info.Size(), mtime: info.ModTime()}
	if rel == "." {
		e.path = "."
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		e.link, err = os.Readlink(path)
	case info.Mode().IsRegular():
		e.sum, err = fileSum(path)
	}
	return e, err
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := transport.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// manifest is the manifest the host keeps beside the new tree: its head
// line, then for each regular file the stat line the host's stat would
// print for it and its hash line. A file sent has the local mode and
// size and the mtime its tar header carries; a file linked from the base
// is the base's file, with the stat line the base's listing gave it.
func (t *tree) manifest(linked map[string]baseFile) string {
	var b strings.Builder
	t.writeManifest(&b, linked)
	return b.String()
}

// writeManifest writes the manifest to w, a line at a time.
func (t *tree) writeManifest(w io.Writer, linked map[string]baseFile) {
	io.WriteString(w, manifestHead+"\n")
	line := make([]byte, 0, 256)
	for _, e := range t.entries {
		if !e.regular() || !manifestSafe(e.path) {
			continue
		}
		line = append(line[:0], "stat "...)
		if f, ok := linked[e.path]; ok {
			line = append(line, f.mode...)
			line = strconv.AppendInt(append(line, ' '), f.size, 10)
			line = append(append(line, ' '), f.mtime...)
		} else {
			line = strconv.AppendUint(line, uint64(e.mode.Perm()), 8)
			line = strconv.AppendInt(append(line, ' '), e.size, 10)
			line = strconv.AppendInt(append(line, ' '), e.mtime.Truncate(time.Second).Unix(), 10)
		}
		line = append(append(line, ' '), e.path...)
		line = append(append(line, '\n'), e.sum...)
		line = append(append(line, "  "...), e.path...)
		w.Write(append(line, '\n'))
	}
}

// manifestSafe reports whether a path can stand on a manifest line: no
// newline, and no backslash (sha256sum escapes names with either).
func manifestSafe(path string) bool {
	return !strings.ContainsAny(path, "\n\\")
}
