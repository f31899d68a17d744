package engine

import (
	"archive/tar"
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// upStream is the tar stream of one upload as hosts receive it: written
// once to a temporary file and read by every host that needs the same
// bytes (the whole tree, or the same delta against the same base), so a
// run archives each tree once, not once per host.
type upStream struct {
	once  sync.Once
	file  string
	tag   string // suffix of the stream's own members: end marker, manifest
	delta delta  // what it sends and links; for a whole tree, no links
	whole bool   // no base: every file is sent
	err   error
}

// Names of the stream's own members, beside the tree's entries.
func (s *upStream) endName() string      { return ".drover-end." + s.tag }
func (s *upStream) manifestName() string { return ".drover-manifest." + s.tag }

// report says what the upload moved: "sent 1.2 MB in 21 files, linked
// 1979 files from /srv/app/releases/r1". The bytes are the whole stream's:
// the files, their headers and the upload's own members.
func (s *upStream) report(baseDir string) string {
	size := s.delta.sentBytes
	if info, err := os.Stat(s.file); err == nil {
		size = info.Size()
	}
	r := fmt.Sprintf("sent %s in %s", byteSize(size), plural(s.delta.sentFiles, "file"))
	if baseDir != "" {
		r += fmt.Sprintf(", linked %s from %s", plural(len(s.delta.linked), "file"), baseDir)
	}
	return r
}

// streamCache holds a run's upload streams. Safe for concurrent use;
// close removes their files.
type streamCache struct {
	mu      sync.Mutex
	streams map[string]*upStream
}

// get returns the stream of t for a host with base (nil: the whole tree),
// writing it on first use.
func (c *streamCache) get(t *tree, base *baseManifest) (*upStream, error) {
	d := delta{}
	if base != nil {
		d = diff(t, base)
	} else {
		d.sentFiles, d.sentBytes = t.files, t.bytes
	}
	key := streamKey(t, base != nil, d)
	c.mu.Lock()
	if c.streams == nil {
		c.streams = map[string]*upStream{}
	}
	s := c.streams[key]
	if s == nil {
		s = &upStream{delta: d, whole: base == nil}
		c.streams[key] = s
	}
	c.mu.Unlock()
	s.once.Do(func() { s.err = s.write(t) })
	return s, s.err
}

// streamKey tells streams apart by tree, and by what a delta links and
// removes.
func streamKey(t *tree, delta bool, d delta) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%v\x00", t.root, delta)
	for _, e := range t.entries {
		if _, ok := d.linked[e.path]; ok {
			io.WriteString(h, e.path+"\x00")
		}
	}
	io.WriteString(h, "\x01")
	for _, p := range d.remove {
		io.WriteString(h, p+"\x00")
	}
	io.WriteString(h, "\x01")
	t.writeManifest(h, d.linked)
	return hex.EncodeToString(h.Sum(nil))
}

// close removes every stream's file.
func (c *streamCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.streams {
		if s.file != "" {
			os.Remove(s.file)
		}
	}
	c.streams = nil
}

// write archives t into a new temporary file: for a delta the list of
// paths to remove (see dirScript), then the tar stream of every directory
// and symlink, the regular files not linked, the hashes of the new tree,
// and last the empty end marker.
func (s *upStream) write(t *tree) error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	s.tag = hex.EncodeToString(b[:])
	f, err := os.CreateTemp("", "drover-upload-*.tar")
	if err != nil {
		return fmt.Errorf("archive %s: %w", t.root, err)
	}
	s.file = f.Name()
	w := bufio.NewWriterSize(f, 1<<20)
	err = s.archive(w, t)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("archive %s: %w", t.root, err)
	}
	return nil
}

func (s *upStream) archive(w io.Writer, t *tree) error {
	if !s.whole {
		for _, p := range s.delta.remove {
			if _, err := io.WriteString(w, p+"\n"); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(w, s.endName()+"\n"); err != nil {
			return err
		}
	}
	tw := tar.NewWriter(w)
	for _, e := range t.entries {
		if _, ok := s.delta.linked[e.path]; ok {
			continue
		}
		if err := addEntry(tw, t.root, e); err != nil {
			return err
		}
	}
	if err := addMember(tw, s.manifestName(), t.manifest(s.delta.linked)); err != nil {
		return err
	}
	if err := addMember(tw, s.endName(), ""); err != nil {
		return err
	}
	return tw.Close()
}

// addEntry writes one entry of the tree, root itself as "./".
func addEntry(tw *tar.Writer, root string, e treeEntry) error {
	// Whole seconds, as ustar holds them: rounding up would put a file a
	// moment in the future, which tar warns about.
	hdr := &tar.Header{Name: e.path, Mode: tarMode(e.mode), ModTime: e.mtime.Truncate(time.Second)}
	switch {
	case e.mode.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, strings.TrimSuffix(e.path, "/")+"/"
	case e.mode&fs.ModeSymlink != 0:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.link
	case e.regular():
		hdr.Typeflag, hdr.Size = tar.TypeReg, e.size
	default:
		return nil // sockets, devices, pipes: not part of a release
	}
	if e.path == "." {
		hdr.Name = "./"
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !e.regular() {
		return nil
	}
	return copyExactly(tw, filepath.Join(root, filepath.FromSlash(e.path)), e.size)
}

// tarMode is a mode's permission and setuid, setgid and sticky bits.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	for bit, v := range map[fs.FileMode]int64{fs.ModeSetuid: 0o4000, fs.ModeSetgid: 0o2000, fs.ModeSticky: 0o1000} {
		if m&bit != 0 {
			mode |= v
		}
	}
	return mode
}

// copyExactly copies the file's first size bytes: a file that changed
// size since it was hashed fails the upload instead of breaking the
// stream.
func copyExactly(w io.Writer, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size))
	if err == nil && n != size {
		err = fmt.Errorf("%s changed while it was uploaded (%d of %d bytes)", path, n, size)
	}
	return err
}

func addMember(tw *tar.Writer, name, body string) error {
	if err := tw.WriteHeader(&tar.Header{Name: "./" + name, Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(body))}); err != nil {
		return err
	}
	_, err := io.WriteString(tw, body)
	return err
}

// byteSize is n in B, kB, MB or GB, one decimal.
func byteSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGT"[exp])
}
