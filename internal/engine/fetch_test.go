package engine

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/plan"
)

// tgz is a gzipped tar of files (path -> content), modes 0644.
func tgz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: "./" + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestFetchScript runs the fetch script under the machine's sh (curl)
// and BusyBox ash (its wget) against a local HTTP server: an archive
// arrives unpacked, a plain file as a file; a wrong checksum, a missing
// file and a cut download leave nothing at the target.
func TestFetchScript(t *testing.T) {
	archive := tgz(t, map[string]string{"bin/app": "app\n", "conf/a": "a\n"})
	mux := http.NewServeMux()
	mux.HandleFunc("/app.tar.gz", func(w http.ResponseWriter, _ *http.Request) { w.Write(archive) })
	mux.HandleFunc("/notes.txt", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("notes\n")) })
	mux.HandleFunc("/cut.tar.gz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.Write(archive[:len(archive)/2])
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for name, env := range shells(t) {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			to := filepath.Join(root, "releases", "r1")
			out, err := runScript(env, fetchScript(to, srv.URL+"/app.tar.gz", hexSum(archive)), nil)
			if err != nil || !strings.Contains(out, "(checked)") {
				t.Fatalf("fetch: %v\n%s", err, out)
			}
			if b, err := os.ReadFile(filepath.Join(to, "bin", "app")); err != nil || string(b) != "app\n" {
				t.Errorf("bin/app = %q, %v", b, err)
			}
			file := filepath.Join(root, "notes.txt")
			if out, err := runScript(env, fetchScript(file, srv.URL+"/notes.txt", ""), nil); err != nil {
				t.Fatalf("fetch a file: %v\n%s", err, out)
			}
			if b, _ := os.ReadFile(file); string(b) != "notes\n" {
				t.Errorf("notes.txt = %q", b)
			}
			for _, tt := range []struct{ path, sum, want string }{
				{"/app.tar.gz", strings.Repeat("0", 64), "checksum mismatch"},
				{"/missing.tar.gz", "", ""},
				{"/cut.tar.gz", "", ""},
			} {
				to := filepath.Join(root, "releases", "r2")
				out, err := runScript(env, fetchScript(to, srv.URL+tt.path, tt.sum), nil)
				if err == nil || !strings.Contains(out, tt.want) {
					t.Errorf("%s: exit %v, output %q, want a failure saying %q", tt.path, err, out, tt.want)
				}
				if left, _ := os.ReadDir(filepath.Join(root, "releases")); len(left) != 1 {
					t.Errorf("%s: releases/ holds %d entries after a failed fetch, want r1 only", tt.path, len(left))
				}
			}
		})
	}
}

// TestServeTunnels: a serve tunnel gets a loopback port that serves its
// directory; a fetch URL at the tunnel's remote end maps to the file.
func TestServeTunnels(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("served\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := []plan.Tunnel{{Remote: "127.0.0.1:9000", Local: "127.0.0.1:1"}, {Remote: "127.0.0.1:9001", Serve: dir}}
	out, stop, err := serveTunnels(in)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if out[0] != in[0] || out[1].Local == "" || !strings.HasPrefix(out[1].Local, "127.0.0.1:") {
		t.Fatalf("tunnels = %+v", out)
	}
	resp, err := http.Get("http://" + out[1].Local + "/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	resp.Body.Close()
	if b.String() != "served\n" {
		t.Errorf("GET a.txt = %q", b.String())
	}
	if got := servedFile(out, "http://127.0.0.1:9001/a.txt"); got != filepath.Join(dir, "a.txt") {
		t.Errorf("servedFile = %q", got)
	}
	if got := servedFile(out, "http://127.0.0.1:9001/../../etc/passwd"); got != filepath.Join(dir, "etc/passwd") {
		t.Errorf("servedFile of a path with .. = %q, want it kept inside %s", got, dir)
	}
	if got := servedFile(out, "http://127.0.0.1:9000/a.txt"); got != "" {
		t.Errorf("servedFile on a plain tunnel = %q", got)
	}
}
