package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/release"
	"github.com/drover-sh/drover/internal/transport"
)

// runOnFirst runs steps on the first host and returns its result and
// the events.
func runOnFirst(t *testing.T, ctx context.Context, hosts []inventory.Host, conns map[string]transport.Conn, steps ...plan.Step) (event.Result, *recorder) {
	t.Helper()
	h := hosts[0]
	p := &plan.Plan{Name: "upload", Hosts: hosts[:1], Stages: []plan.Stage{{Name: "s", Parallel: 1,
		Steps: map[string][]plan.Step{h.Name: steps}}}}
	rec := &recorder{}
	s, err := engine.Run(ctx, p, map[string]transport.Conn{h.Name: conns[h.Name]}, engine.Options{Sink: rec, Gate: engine.AlwaysYes})
	if err != nil && ctx.Err() == nil {
		t.Fatalf("Run: %v", err)
	}
	if s == nil || len(s.Hosts) == 0 {
		return "", rec
	}
	return s.Hosts[0].Result, rec
}

func publish(src, to string) plan.Step {
	return plan.Step{Name: "publish", Kind: plan.KindUpload, Arg: src, To: to, Timeout: time.Minute}
}

func srcTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// names lists dir, hidden names too, sorted, but for the manifests kept
// beside releases (.ID.drover-manifest), which belong with them.
func names(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		if n := e.Name(); !(strings.HasPrefix(n, ".") && strings.HasSuffix(n, ".drover-manifest")) {
			out = append(out, n)
		}
	}
	return out
}

func mkdirs(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// available is what package release lists under root on the host.
func available(t *testing.T, conn transport.Conn, root string) []string {
	t.Helper()
	st, err := release.Read(t.Context(), release.ConnRunner{Conn: conn}, root)
	if err != nil {
		t.Fatal(err)
	}
	return st.Available
}

// TestUploadCleansUnfinished leaves what killed uploads leave (the
// visible names of older versions and hidden ones): the next upload of the
// same release removes them all.
func TestUploadCleansUnfinished(t *testing.T) {
	farm, hosts, conns := startFarm(t, 1)
	rels := filepath.Join(farm.Hosts[0].Dir, "app", "releases")
	mkdirs(t, filepath.Join(rels, "r9.drover-tmp.123", "half"), filepath.Join(rels, ".r9.drover-tmp.456", "half"),
		filepath.Join(rels, ".r9.drover-old.789"), filepath.Join(rels, "r8"))
	src := srcTree(t, map[string]string{"bin/app": "v9\n"})
	if r, rec := runOnFirst(t, t.Context(), hosts, conns, publish(src, "app/releases/r9")); r != event.OK {
		t.Fatalf("upload = %s: %+v", r, rec.kinds(event.StepEnd))
	}
	if got := names(t, rels); !slices.Equal(got, []string{"r8", "r9"}) {
		t.Errorf("releases/ holds %q, want r8 r9 only", got)
	}
	if b, err := os.ReadFile(filepath.Join(rels, "r9", "bin", "app")); err != nil || string(b) != "v9\n" {
		t.Errorf("r9/bin/app = %q, %v", b, err)
	}
}

// TestUploadKilledMidway stops an upload while its tree is being written:
// what it leaves is never listed as a release, and the next upload of the
// same release cleans it and succeeds.
func TestUploadKilledMidway(t *testing.T) {
	farm, hosts, conns := startFarm(t, 1)
	rels := filepath.Join(farm.Hosts[0].Dir, "app", "releases")
	big := make([]byte, 32<<20)
	src := srcTree(t, map[string]string{"a/small": "x", "z/big": string(big)})
	ctx, cancel := context.WithCancel(t.Context())
	var watch sync.WaitGroup
	watch.Go(func() { // cancel as soon as the temporary tree exists
		for ctx.Err() == nil {
			if m, _ := filepath.Glob(filepath.Join(rels, "*r9.drover-tmp.*")); len(m) > 0 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	r, rec := runOnFirst(t, ctx, hosts, conns, publish(src, "app/releases/r9"))
	cancel()
	watch.Wait()
	if _, err := os.Stat(rels); err != nil {
		t.Fatalf("the upload (result %s) ended before it wrote anything: %v\nevents: %+v", r, err, rec.all())
	}
	finished := r == event.OK // a loaded machine may finish first: the rest must hold anyway
	for _, n := range names(t, rels) {
		if !strings.HasPrefix(n, ".") && !(finished && n == "r9") {
			t.Errorf("a stopped upload (result %s) left %q in plain sight under releases/", r, n)
		}
	}
	if got := available(t, conns[hosts[0].Name], filepath.Join(farm.Hosts[0].Dir, "app")); len(got) != 0 && !finished {
		t.Errorf("releases listed after a stopped upload: %q", got)
	}
	if r, rec := runOnFirst(t, t.Context(), hosts, conns, publish(src, "app/releases/r9")); r != event.OK {
		t.Fatalf("second upload = %s: %+v", r, rec.kinds(event.StepEnd))
	}
	if got := names(t, rels); !slices.Equal(got, []string{"r9"}) {
		t.Errorf("releases/ holds %q after the next upload, want r9 only", got)
	}
}

// TestUploadLiveReleaseRefused re-uploads the release current points to:
// the live tree must stay whole at every moment, and the step says why it
// failed.
func TestUploadLiveReleaseRefused(t *testing.T) {
	farm, hosts, conns := startFarm(t, 1)
	app := filepath.Join(farm.Hosts[0].Dir, "app")
	mkdirs(t, filepath.Join(app, "releases", "r1"))
	if err := os.WriteFile(filepath.Join(app, "releases", "r1", "old.txt"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("releases/r1", filepath.Join(app, "current")); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var misses atomic.Int64
	var watch sync.WaitGroup
	watch.Go(func() {
		for !stop.Load() {
			if _, err := os.Stat(filepath.Join(app, "current", "old.txt")); err != nil {
				misses.Add(1)
			}
		}
	})
	src := srcTree(t, map[string]string{"new.txt": "new"})
	r, rec := runOnFirst(t, t.Context(), hosts, conns, publish(src, "app/releases/r1"))
	stop.Store(true)
	watch.Wait()
	if r != event.Failed {
		t.Fatalf("upload over the live release = %s, want failed", r)
	}
	if n := misses.Load(); n > 0 {
		t.Errorf("the live tree was missing %d times during the upload", n)
	}
	if got := names(t, filepath.Join(app, "releases", "r1")); !slices.Equal(got, []string{"old.txt"}) {
		t.Errorf("live release holds %q, want it untouched", got)
	}
	if got := names(t, filepath.Join(app, "releases")); !slices.Equal(got, []string{"r1"}) {
		t.Errorf("releases/ holds %q, want no temporary tree", got)
	}
	said := false
	for _, e := range rec.kinds(event.StepOutput) {
		said = said || strings.Contains(e.Line, "is the live release")
	}
	if !said {
		t.Errorf("no output says why: %+v", rec.all())
	}
	if r, _ := runOnFirst(t, t.Context(), hosts, conns, publish(src, "app/current")); r != event.Failed {
		t.Errorf("upload over the current link = %s, want failed", r)
	}
	if target, err := os.Readlink(filepath.Join(app, "current")); err != nil || target != "releases/r1" {
		t.Errorf("current -> %q, %v; want releases/r1", target, err)
	}
	if r, rec := runOnFirst(t, t.Context(), hosts, conns, publish(src, "app/releases/r2")); r != event.OK {
		t.Errorf("upload of a new release = %s, want ok: %+v", r, rec.kinds(event.StepOutput))
	}
}

// TestUploadFileCleansUnfinished: a file upload writes under a hidden name
// and removes what a killed one left.
func TestUploadFileCleansUnfinished(t *testing.T) {
	farm, hosts, conns := startFarm(t, 1)
	etc := filepath.Join(farm.Hosts[0].Dir, "app", "etc")
	mkdirs(t, etc)
	for _, n := range []string{".conf.drover-tmp.1", "conf.drover-tmp.2"} {
		if err := os.WriteFile(filepath.Join(etc, n), []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := srcTree(t, map[string]string{"conf": "ok\n"})
	if r, _ := runOnFirst(t, t.Context(), hosts, conns, publish(filepath.Join(src, "conf"), "app/etc/conf")); r != event.OK {
		t.Fatalf("upload = %s", r)
	}
	if got := names(t, etc); !slices.Equal(got, []string{"conf"}) {
		t.Errorf("etc/ holds %q, want conf only", got)
	}
}
