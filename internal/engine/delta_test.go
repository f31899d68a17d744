package engine

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeTree makes the files of m under dir: "path" -> content; a content
// starting with "->" makes a symlink, a path ending in / an empty
// directory. mode sets permissions of paths that need others than 0644.
func writeTree(t *testing.T, dir string, m map[string]string, mode map[string]fs.FileMode) {
	t.Helper()
	for p, body := range m {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(p, "/"):
			err = os.MkdirAll(full, 0o755)
		case strings.HasPrefix(body, "->"):
			err = os.Symlink(strings.TrimPrefix(body, "->"), full)
		default:
			err = os.WriteFile(full, []byte(body), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for p, m := range mode {
		if err := os.Chmod(filepath.Join(dir, p), m); err != nil {
			t.Fatal(err)
		}
	}
}

// sameTree fails t unless the trees at a and b hold the same entries
// with the same types, permissions, contents and link targets (diff -r,
// plus modes).
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	ta, err := readTree(a)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := readTree(b)
	if err != nil {
		t.Fatal(err)
	}
	key := func(e treeEntry) string {
		return strings.Join([]string{e.path, e.mode.String(), e.sum, e.link}, " ")
	}
	var ka, kb []string
	for _, e := range ta.entries {
		ka = append(ka, key(e))
	}
	for _, e := range tb.entries {
		if !strings.HasPrefix(filepath.Base(e.path), ".drover-") {
			kb = append(kb, key(e))
		}
	}
	if !slices.Equal(ka, kb) {
		t.Errorf("%s and %s differ:\n%s\n---\n%s", a, b, strings.Join(ka, "\n"), strings.Join(kb, "\n"))
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	ia, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(ia, ib)
}

// TestDeltaUpload publishes r1 whole, then r2 as a delta against it,
// under the machine's sh and under BusyBox ash with only its applets: r2
// equals the local tree exactly (changed, added and removed files and
// directories, a changed mode, a changed symlink, an empty directory, a
// read-only directory), its unchanged files share r1's inodes, r1 is left
// as it was, and r2 stays whole when r1 is removed.
func TestDeltaUpload(t *testing.T) {
	v1 := map[string]string{"bin/app": "app v1\n", "bin/tool": "tool\n", "conf/a.conf": "a\n", "conf/b.conf": "b\n",
		"lib/x/y.so": "so\n", "old/gone.txt": "gone\n", "old/deep/er": "er\n", "latest": "->bin/app", "same": "->bin/tool",
		"ro/keep": "keep\n", "name with space": "s\n", "swap": "a file in r1\n", "was/dir": "d\n"}
	v2 := map[string]string{"bin/app": "app v2\n", "bin/tool": "tool\n", "conf/a.conf": "a\n", "conf/b.conf": "b\n",
		"lib/x/y.so": "so\n", "new/file": "new\n", "empty/": "", "latest": "->bin/tool", "same": "->bin/tool",
		"ro/keep": "keep\n", "name with space": "s\n", "swap/inner": "a directory in r2\n", "was": "a file in r2\n"}
	modes1 := map[string]fs.FileMode{"bin/app": 0o755, "conf/b.conf": 0o644, "ro": 0o555}
	modes2 := map[string]fs.FileMode{"bin/app": 0o755, "conf/b.conf": 0o600, "ro": 0o555}
	for name, env := range shells(t) {
		t.Run(name, func(t *testing.T) {
			src1, src2, root := t.TempDir(), t.TempDir(), t.TempDir()
			writeTree(t, src1, v1, modes1)
			writeTree(t, src2, v2, modes2)
			t.Cleanup(func() { os.Chmod(filepath.Join(root, "releases", "r2", "ro"), 0o755) })
			r1, r2 := filepath.Join(root, "releases", "r1"), filepath.Join(root, "releases", "r2")
			publishWhole(t, env, src1, r1)
			if err := os.Symlink("releases/r1", filepath.Join(root, "current")); err != nil {
				t.Fatal(err)
			}
			base := hostBase(t, env, r2, "")
			if base == nil || base.dir != r1 || len(base.files) != 11 {
				t.Fatalf("base = %+v, want r1 with its 11 files", base)
			}
			sent := publishDelta(t, env, src2, r2, base)
			if sent.sentFiles != 5 || len(sent.linked) != 5 {
				t.Errorf("delta sent %d files and linked %d, want 5 (app, b.conf, new/file, swap/inner, was) and 5", sent.sentFiles, len(sent.linked))
			}
			sameTree(t, src2, r2)
			sameTree(t, src1, r1)
			for _, p := range []string{"bin/tool", "conf/a.conf", "lib/x/y.so", "ro/keep", "name with space"} {
				if !sameFile(t, filepath.Join(r1, p), filepath.Join(r2, p)) {
					t.Errorf("%s: not linked from r1", p)
				}
			}
			for _, p := range []string{"bin/app", "conf/b.conf"} {
				if sameFile(t, filepath.Join(r1, p), filepath.Join(r2, p)) {
					t.Errorf("%s changed but shares r1's inode", p)
				}
			}
			os.Chmod(filepath.Join(r1, "ro"), 0o755)
			if err := os.RemoveAll(r1); err != nil {
				t.Fatal(err)
			}
			sameTree(t, src2, r2)
		})
	}
}

// TestDeltaManifestCache: the manifest the upload leaves beside r1 is
// what the next delta reads (no hashing on the host); a file of r1
// changed by other means since (its mtime differs) is not linked from a
// stale hash.
func TestDeltaManifestCache(t *testing.T) {
	for name, env := range shells(t) {
		t.Run(name, func(t *testing.T) {
			src, root := t.TempDir(), t.TempDir()
			writeTree(t, src, map[string]string{"a": "one\n", "d/b": "two\n"}, nil)
			r1 := filepath.Join(root, "releases", "r1")
			publishWhole(t, env, src, r1)
			cache, err := os.ReadFile(filepath.Join(root, "releases", ".r1.drover-manifest"))
			if err != nil || !bytes.HasPrefix(cache, []byte(manifestHead+"\n")) {
				t.Fatalf("manifest beside r1: %q, %v", cache, err)
			}
			out, err := runScript(env, manifestScript(filepath.Join(root, "releases", "r2"), r1), nil)
			kept := strings.SplitN(string(cache), "\n", 2)[1]
			if err != nil || !strings.Contains(out, "\ncached\n"+kept) {
				t.Errorf("manifest read = %q, %v; want the kept one %q", out, err, kept)
			}
			// Change r1 behind drover's back: same size, other content, later.
			writeTree(t, r1, map[string]string{"a": "ONE\n"}, nil)
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(r1, "a"), later, later); err != nil {
				t.Fatal(err)
			}
			base := hostBase(t, env, filepath.Join(root, "releases", "r2"), r1)
			tr, err := readTree(src)
			if err != nil {
				t.Fatal(err)
			}
			d := diff(tr, base)
			if _, ok := d.linked["./d/b"]; len(d.linked) != 1 || !ok {
				t.Errorf("links %+v against a replaced r1, want only ./d/b", d.linked)
			}
		})
	}
}

// TestParseManifestForgedLine: a file name with a newline cannot add or
// change another file's entry: a path named twice is not known at all;
// a kept hash counts only while the file's stat line is unchanged.
func TestParseManifestForgedLine(t *testing.T) {
	sum := strings.Repeat("a", 64)
	m := parseManifest([]string{"base /r1", "stat 644 3 9 ./x", "stat 755 3 9 ./x", sum + "  ./x", "stat 644 2 9 ./y", sum + "  ./y"})
	if _, ok := m.files["./x"]; ok {
		t.Errorf("./x with two stat lines is known: %+v", m.files["./x"])
	}
	if f := m.files["./y"]; f.sum != sum || f.mode != "644" || f.size != 2 {
		t.Errorf("./y = %+v", f)
	}
	if parseManifest([]string{"stat 644 2 9 ./y"}) != nil || parseManifest(nil) != nil {
		t.Error("output without a base line gave a manifest")
	}
	m = parseManifest([]string{"base /r1", "stat 644 2 9 ./y", "stat 644 2 10 ./z", "cached",
		"stat 644 2 9 ./y", sum + "  ./y", "stat 644 2 9 ./z", sum + "  ./z"})
	if _, ok := m.files["./z"]; ok || len(m.files) != 1 {
		t.Errorf("files %+v: want ./y only (./z changed since its hash was kept)", m.files)
	}
}

func publishWhole(t *testing.T, env []string, src, dest string) {
	t.Helper()
	s, stream := wholeStream(t, src)
	if out, err := runScript(env, dirScript(dest, s), stream.Bytes()); err != nil {
		t.Fatalf("whole upload to %s: %v\n%s", dest, err, out)
	}
}

func hostBase(t *testing.T, env []string, to, base string) *baseManifest {
	t.Helper()
	out, err := runScript(env, manifestScript(to, base), nil)
	if err != nil {
		t.Fatalf("manifest: %v\n%s", err, out)
	}
	return parseManifest(strings.Split(strings.TrimSpace(out), "\n"))
}

func publishDelta(t *testing.T, env []string, src, dest string, base *baseManifest) delta {
	t.Helper()
	tr, err := readTree(src)
	if err != nil {
		t.Fatal(err)
	}
	s, stream := streamOf(t, tr, base)
	if out, err := runScript(env, oneSession(dest, base.dir), sessionInput(s, base, stream.Bytes())); err != nil {
		t.Fatalf("delta upload to %s: %v\n%s", dest, err, out)
	}
	return s.delta
}

// TestDeltaNoBaseWithOddNames: a base holding a name with a newline,
// which could forge manifest lines, is no base: the upload sends all.
func TestDeltaNoBaseWithOddNames(t *testing.T) {
	for name, env := range shells(t) {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			r1 := filepath.Join(root, "releases", "r1")
			writeTree(t, r1, map[string]string{"a": "a\n", "odd\nstat 644 2 9 ./a": "x\n"}, nil)
			if base := hostBase(t, env, filepath.Join(root, "releases", "r2"), r1); base != nil {
				t.Errorf("base = %+v, want none", base)
			}
		})
	}
}

// TestDeltaCutStreamNotPublished cuts a delta's stream inside its removal
// list, right after it, and inside the tar stream: no cut publishes r2,
// and r1 is left as it was.
func TestDeltaCutStreamNotPublished(t *testing.T) {
	for name, env := range shells(t) {
		t.Run(name, func(t *testing.T) {
			src1, src2, root := t.TempDir(), t.TempDir(), t.TempDir()
			writeTree(t, src1, map[string]string{"a": "a\n", "b": "b\n", "gone": "g\n"}, nil)
			writeTree(t, src2, map[string]string{"a": "a\n", "b": "changed\n", "new": strings.Repeat("n", 5000)}, nil)
			r1, r2 := filepath.Join(root, "releases", "r1"), filepath.Join(root, "releases", "r2")
			publishWhole(t, env, src1, r1)
			base := hostBase(t, env, r2, r1)
			tr, err := readTree(src2)
			if err != nil {
				t.Fatal(err)
			}
			s, stream := streamOf(t, tr, base)
			input := sessionInput(s, base, stream.Bytes())
			head := len(input) - stream.Len()
			list := head + bytes.Index(stream.Bytes(), []byte(s.endName()+"\n"))
			for _, cut := range []int{3, head, head + 1, list, list + len(s.endName()) + 1, list + 600, len(input) - 1200} {
				out, err := runScript(env, oneSession(r2, r1), input[:cut])
				if _, statErr := os.Stat(r2); err == nil || statErr == nil {
					t.Errorf("cut at %d of %d: exit %v, r2 there: %v\n%s", cut, len(input), err, statErr == nil, out)
				}
			}
			sameTree(t, src1, r1)
		})
	}
}

// TestOneSessionScript: the one-session script lists the base, then
// takes the line that names the stream and the stream from stdin, for a
// delta and for a whole tree, under sh and BusyBox ash.
func TestOneSessionScript(t *testing.T) {
	for name, env := range shells(t) {
		t.Run(name, func(t *testing.T) {
			src1, src2, root := t.TempDir(), t.TempDir(), t.TempDir()
			writeTree(t, src1, map[string]string{"a": "a\n", "b": "b\n", "gone/x": "x\n"}, nil)
			writeTree(t, src2, map[string]string{"a": "a\n", "b": "changed\n", "new": "n\n"}, nil)
			r1, r2 := filepath.Join(root, "releases", "r1"), filepath.Join(root, "releases", "r2")
			s1, whole := streamOf(t, mustTree(t, src1), nil)
			if out, err := runScript(env, oneSession(r1, ""), sessionInput(s1, nil, whole.Bytes())); err != nil {
				t.Fatalf("whole: %v\n%s", err, out)
			}
			sameTree(t, src1, r1)
			if err := os.Symlink("releases/r1", filepath.Join(root, "current")); err != nil {
				t.Fatal(err)
			}
			out, err := runScript(env, oneSession(r2, ""), []byte("whole 0 x -\n"))
			lines := strings.Split(strings.TrimSpace(out), "\n")
			end := slices.Index(lines, manifestEnd)
			base := parseManifest(lines[:max(end, 0)])
			if end < 0 || base == nil || base.dir != r1 {
				t.Fatalf("listing: %v, base %+v\n%s", err, base, out)
			}
			s2, stream := streamOf(t, mustTree(t, src2), base)
			if out, err := runScript(env, oneSession(r2, ""), sessionInput(s2, base, stream.Bytes())); err != nil {
				t.Fatalf("delta: %v\n%s", err, out)
			}
			sameTree(t, src2, r2)
			if !sameFile(t, filepath.Join(r1, "a"), filepath.Join(r2, "a")) {
				t.Error("a is not linked from r1")
			}
		})
	}
}

// sessionInput is what an upload writes to oneSession's stdin after the
// listing: the head line, then the stream.
func sessionInput(s *upStream, base *baseManifest, stream []byte) []byte {
	return append([]byte(streamHead(s, base)), stream...)
}

func mustTree(t *testing.T, dir string) *tree {
	t.Helper()
	tr, err := readTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
