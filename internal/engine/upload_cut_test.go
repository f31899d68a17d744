package engine

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// shells are the host shells the upload scripts are tried with: the
// machine's sh with its tools, and BusyBox ash with only BusyBox applets
// on PATH (when busybox is installed; under CI it must be).
func shells(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{"sh": nil}
	bin, err := exec.LookPath("busybox")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI: needs busybox: %v", err)
		}
		return out
	}
	dir := t.TempDir()
	if b, err := exec.Command(bin, "--install", "-s", dir).CombinedOutput(); err != nil {
		t.Fatalf("busybox --install: %v\n%s", err, b)
	}
	out["busybox"] = []string{"PATH=" + dir}
	return out
}

// runScript runs script with sh on stdin, in env added to this process's.
func runScript(env []string, script string, stdin []byte) (string, error) {
	cmd := exec.Command("sh", "-c", script)
	if env != nil {
		cmd = exec.Command(filepath.Join(strings.TrimPrefix(env[0], "PATH="), "sh"), "-c", script)
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestUploadCutStreamNotPublished cuts a tree's tar stream at every
// block boundary, as a drover killed midway does: tar exits 0 on a stream
// cut between members, so only the end marker tells a whole tree from
// part of one. A cut before the marker must leave no release; a cut after
// it loses only the stream's trailing zero blocks, and the tree is whole.
func TestUploadCutStreamNotPublished(t *testing.T) {
	src := t.TempDir()
	for _, name := range []string{"a/one", "b/two", "c/three"} {
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), bytes.Repeat([]byte("x"), 700), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, stream := wholeStream(t, src)
	end := s.endName()
	whole := markerEnd(t, stream.Bytes(), end)
	// Cut right before the marker, tar itself sees nothing wrong: the
	// script must say why it refuses.
	dest := filepath.Join(t.TempDir(), "r2")
	if out, err := runScript(nil, dirScript(dest, s), stream.Bytes()[:whole-512]); err == nil || !strings.Contains(out, "ended early") {
		t.Errorf("stream cut before its end marker: exit %v, output %q, want a refusal that says the upload ended early", err, out)
	}
	for name, env := range shells(t) {
		for cut := 0; cut < stream.Len(); cut += 512 {
			dest := filepath.Join(t.TempDir(), "releases", "r2")
			out, err := runScript(env, dirScript(dest, s), stream.Bytes()[:cut])
			_, statErr := os.Stat(dest)
			switch {
			case cut < whole && (err == nil || statErr == nil):
				t.Errorf("%s: stream cut at %d of %d: exit %v, release there: %v\n%s", name, cut, stream.Len(), err, statErr == nil, out)
			case cut >= whole && err != nil:
				t.Errorf("%s: stream cut after its end marker (%d): %v\n%s", name, cut, err, out)
			case cut >= whole:
				if _, err := os.Stat(filepath.Join(dest, end)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s: the end marker was left in the release: %v", name, err)
				}
			}
		}
	}
}

// wholeStream archives the tree at src as an upload with no base sends it.
func wholeStream(t *testing.T, src string) (*upStream, *bytes.Buffer) {
	t.Helper()
	tr, err := readTree(src)
	if err != nil {
		t.Fatal(err)
	}
	return streamOf(t, tr, nil)
}

// streamOf archives tr as an upload to a host with base (nil: none) does.
func streamOf(t *testing.T, tr *tree, base *baseManifest) (*upStream, *bytes.Buffer) {
	t.Helper()
	var c streamCache
	t.Cleanup(c.close)
	s, err := c.get(tr, base)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	return s, bytes.NewBuffer(b)
}

// markerEnd returns the offset just past the end marker's header.
func markerEnd(t *testing.T, stream []byte, end string) int {
	t.Helper()
	r := bytes.NewReader(stream)
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("no end marker in the stream: %v", err)
		}
		if hdr.Name == "./"+end {
			return len(stream) - r.Len()
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUploadCutFileNotPublished cuts a single file's upload short: the
// old file stays, whole.
func TestUploadCutFileNotPublished(t *testing.T) {
	body := bytes.Repeat([]byte("y"), 4096)
	for name, env := range shells(t) {
		dest := filepath.Join(t.TempDir(), "app.conf")
		if err := os.WriteFile(dest, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, cut := range []int{0, 1, 4095} {
			out, err := runScript(env, fileScript(dest, 0o644, int64(len(body))), body[:cut])
			got, _ := os.ReadFile(dest)
			if err == nil || string(got) != "old\n" || !strings.Contains(out, "ended early") {
				t.Errorf("%s: file cut at %d: exit %v, file now %d bytes, output %q", name, cut, err, len(got), out)
			}
		}
		if out, err := runScript(env, fileScript(dest, 0o600, int64(len(body))), body); err != nil {
			t.Fatalf("%s: whole file: %v\n%s", name, err, out)
		}
		if got, _ := os.ReadFile(dest); !bytes.Equal(got, body) {
			t.Errorf("%s: whole file: %d bytes arrived, want %d", name, len(got), len(body))
		}
	}
}
