package release

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// sshRunner runs scripts on an in-process SSH host, over a real SSH
// connection, with the given script deadline.
func sshRunner(t *testing.T, timeout time.Duration) ConnRunner {
	t.Helper()
	farm, err := sshtest.Start(context.Background(), sshtest.Options{Dir: t.TempDir(), KillDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("start farm: %v", err)
	}
	t.Cleanup(func() { farm.Close() })
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := farm.KnownHosts(known); err != nil {
		t.Fatal(err)
	}
	h := farm.Hosts[0]
	ep := transport.Endpoint{Name: h.Name, Host: h.Addr, Port: h.Port, User: "deploy",
		Identities: []string{farm.ClientKey}, KnownHosts: []string{known}}
	d := sshx.New(sshx.Options{ConnectTimeout: 5 * time.Second, KeepaliveInterval: time.Second})
	conn, err := d.Dial(context.Background(), ep)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return ConnRunner{Conn: conn, Timeout: timeout}
}

// runners are the two ways tests reach a host: a local sh, and an
// in-process SSH host.
func runners(t *testing.T, timeout time.Duration) map[string]Runner {
	return map[string]Runner{
		"local": ConnRunner{Conn: execConn{}, Timeout: timeout},
		"ssh":   sshRunner(t, timeout),
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNoHangOnFIFO puts a FIFO where the lock owner or the history should
// be: cat of it would block for ever. Every operation must answer at once
// (well before the script deadline), and say what is wrong.
func TestNoHangOnFIFO(t *testing.T) {
	const owner, history = ".drover/lock/owner", ".drover/history"
	tests := []struct {
		name    string
		fifo    string
		op      func(ctx context.Context, r Runner, root string) error
		wantErr string // "" for success
	}{
		{name: "read with a FIFO owner", fifo: owner, op: func(ctx context.Context, r Runner, root string) error {
			st, err := Read(ctx, r, root)
			if err == nil && (st.Lock == nil || st.Lock.Line != "") {
				return errors.New("lock not reported as held without an owner")
			}
			return err
		}},
		{name: "lock with a FIFO owner", fifo: owner, wantErr: "no owner recorded",
			op: func(ctx context.Context, r Runner, root string) error {
				return Lock(ctx, r, root, Owner{RunID: "mine"})
			}},
		{name: "unlock with a FIFO owner", fifo: owner, wantErr: "no owner recorded",
			op: func(ctx context.Context, r Runner, root string) error { return Unlock(ctx, r, root, "mine") }},
		{name: "force unlock with a FIFO owner", fifo: owner, op: func(ctx context.Context, r Runner, root string) error {
			_, err := ForceUnlock(ctx, r, root, "alice")
			return err
		}},
		{name: "read with a FIFO history", fifo: history, wantErr: "not a regular file",
			op: func(ctx context.Context, r Runner, root string) error { _, err := Read(ctx, r, root); return err }},
		{name: "switch with a FIFO history", fifo: history, wantErr: "not a regular file",
			op: func(ctx context.Context, r Runner, root string) error {
				_, err := Switch(ctx, r, root, "B", Meta{RunID: "mine"})
				return err
			}},
		{name: "prune with a FIFO history", fifo: history, wantErr: "not a regular file",
			op: func(ctx context.Context, r Runner, root string) error { _, err := Prune(ctx, r, root, 1); return err }},
	}
	for rname, r := range runners(t, 20*time.Second) {
		for _, tt := range tests {
			t.Run(rname+"/"+tt.name, func(t *testing.T) {
				root := newRoot(t, "A", "B")
				symlink(t, "releases/A", filepath.Join(root, "current"))
				mkfifo(t, filepath.Join(root, tt.fifo))
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				start := time.Now()
				err := tt.op(ctx, r, root)
				if d := time.Since(start); d > 5*time.Second {
					t.Fatalf("took %v (err %v): blocked on the FIFO", d, err)
				}
				switch {
				case tt.wantErr == "" && err != nil:
					t.Fatalf("err = %v, want none", err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				if got := readLink(t, root); got != "releases/A" {
					t.Errorf("current -> %q, want releases/A", got)
				}
			})
		}
	}
}

// TestConnRunnerDeadline runs a script that never ends (a read of a FIFO
// nobody writes, as on a hung mount): Run must give up at its deadline,
// close the session and say why, with no ctx deadline from the caller.
func TestConnRunnerDeadline(t *testing.T) {
	for name, r := range runners(t, time.Second) {
		t.Run(name, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "fifo")
			mkfifo(t, fifo)
			start := time.Now()
			_, err := r.Run(t.Context(), "trap '' INT TERM HUP; cat "+Quote(fifo))
			if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no end within 1s") {
				t.Fatalf("err = %v, want the script deadline", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("Run returned after %v, want soon after its 1s deadline", d)
			}
		})
	}
}

func TestConnRunnerDefaultDeadline(t *testing.T) {
	if DefaultTimeout <= 0 || DefaultTimeout > 5*time.Minute {
		t.Fatalf("DefaultTimeout = %v, want a bound of a few minutes", DefaultTimeout)
	}
}
