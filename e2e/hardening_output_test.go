//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hugeRunbook prints 1 GiB without a newline on one host.
const hugeRunbook = `
name = "huge"
[[stage]]
name = "s"
  [[stage.step]]
  name = "print"
  run  = "head -c 1073741824 /dev/zero | tr '\\0' q; echo; echo done"
  timeout = "5m"
`

// TestHugeOutputBounded: 1 GiB of output from one host without a newline
// keeps drover's peak RSS under 100 MB; the journal and drover log work,
// and the --log-dir transcript holds every byte.
func TestHugeOutputBounded(t *testing.T) {
	needDrover(t, "run")
	dir := t.TempDir()
	rb := filepath.Join(dir, "huge.toml")
	writeFile(t, rb, hugeRunbook)
	logs := filepath.Join(dir, "logs")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	c := droverCommand(ctx, "run", rb, "-H", farm.Names[0], "--yes", "--log-dir", logs)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	code := exitStatus(t, c.Run())
	took := time.Since(start)
	rss := c.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB
	t.Logf("drover: exit %d in %v, peak RSS %d MB\n%s", code, took, rss>>10, tail(out.String(), 3000))
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	if rss > 100<<10 {
		t.Errorf("peak RSS %d MB, want under 100 MB", rss>>10)
	}
	path, events := lastJournal(t, start)
	if e, ok := hostEnd(events, "s", farm.Names[0]); !ok || e.Result != "ok" {
		t.Errorf("journal: host.end = %+v (%v), want ok", e, ok)
	}
	if st, err := os.Stat(path); err != nil || st.Size() > 1<<20 {
		t.Errorf("journal %s: %v, %d bytes; want it small", path, err, st.Size())
	}
	id := strings.TrimSuffix(filepath.Base(path), ".jsonl")
	lc := exec.CommandContext(ctx, droverBin, "log", id)
	lc.Env = droverEnv()
	logOut, err := lc.Output()
	if err != nil || !strings.Contains(string(logOut), "run ok (exit 0)") {
		t.Errorf("drover log %s: %v, want the run's end in:\n%.500s", id, err, logOut)
	}
	if j, err := os.ReadFile(path); err != nil || !bytes.Contains(j, []byte("[line cut at 64 KiB]")) {
		t.Errorf("journal %s: %v, want the cut line in it", path, err)
	}
	if n := countByte(t, filepath.Join(logs, farm.Names[0]+".log"), 'q'); n != 1<<30 {
		t.Errorf("transcript holds %d of the %d bytes", n, 1<<30)
	}
}

// countByte counts b in the file at path.
func countByte(t testing.TB, path string, b byte) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{b})
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
