package transporttest

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/drover-sh/drover/internal/transport"
)

// dialHostKeyError dials ep with d and returns the host key error it must
// fail with.
func dialHostKeyError(t *testing.T, d transport.Dialer, ep transport.Endpoint) *transport.HostKeyError {
	t.Helper()
	conn, err := d.Dial(testContext(t), ep)
	if err == nil {
		conn.Close()
		t.Fatalf("dial %s succeeded, want a host key error", ep.Addr())
	}
	var hkErr *transport.HostKeyError
	if !errors.As(err, &hkErr) {
		t.Fatalf("dial %s: %v (%T), want *transport.HostKeyError", ep.Addr(), err, err)
	}
	if hkErr.Host == "" || hkErr.KeyType == "" || hkErr.Fingerprint == "" {
		t.Errorf("host key error lacks host, key type or fingerprint: %+v", hkErr)
	}
	return hkErr
}

func testUnknownHostKey(t *testing.T, tg Target) {
	hkErr := dialHostKeyError(t, tg.Dialer, tg.Unknown)
	if hkErr.Problem != transport.HostKeyUnknown {
		t.Fatalf("problem = %v, want HostKeyUnknown (%v)", hkErr.Problem, hkErr)
	}
}

func testAcceptNewHostKey(t *testing.T, tg Target) {
	if tg.AcceptNewDialer == nil {
		t.Skip("no accept-new dialer")
	}
	if len(tg.Unknown.KnownHosts) == 0 {
		t.Fatal("Unknown endpoint has no known_hosts file")
	}
	before, _ := os.ReadFile(tg.Unknown.KnownHosts[0])
	conn := dial(t, tg.AcceptNewDialer, tg.Unknown)
	conn.Close()
	after, err := os.ReadFile(tg.Unknown.KnownHosts[0])
	if err != nil {
		t.Fatalf("known_hosts after accept-new: %v", err)
	}
	if len(after) <= len(before) {
		t.Fatalf("accept-new wrote nothing to %s", tg.Unknown.KnownHosts[0])
	}
	if st, err := os.Stat(tg.Unknown.KnownHosts[0]); err == nil && st.Mode().Perm()&0o022 != 0 {
		t.Errorf("known_hosts mode %v is writable by others", st.Mode().Perm())
	}
	// The key is now known: the refusing dialer connects too.
	dial(t, tg.Dialer, tg.Unknown)
}

func testChangedHostKey(t *testing.T, tg Target) {
	dialers := []struct {
		name string
		d    transport.Dialer
	}{
		{"strict", tg.Dialer},
		{"accept-new", tg.AcceptNewDialer},
	}
	for _, dd := range dialers {
		t.Run(dd.name, func(t *testing.T) {
			if dd.d == nil {
				t.Skip("no such dialer")
			}
			before := readAll(t, tg.Changed.KnownHosts)
			hkErr := dialHostKeyError(t, dd.d, tg.Changed)
			if hkErr.Problem != transport.HostKeyChanged {
				t.Fatalf("problem = %v, want HostKeyChanged (%v)", hkErr.Problem, hkErr)
			}
			if !slices.Contains(tg.Changed.KnownHosts, hkErr.File) || hkErr.Line < 1 {
				t.Errorf("changed key reported at %s:%d, want a line of %v", hkErr.File, hkErr.Line, tg.Changed.KnownHosts)
			}
			if after := readAll(t, tg.Changed.KnownHosts); after != before {
				t.Errorf("known_hosts changed after a refused key:\n%s", after)
			}
		})
	}
}

// readAll concatenates files; missing ones read as empty.
func readAll(t *testing.T, files []string) string {
	t.Helper()
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("read %s: %v", f, err)
		}
		all = append(all, b...)
	}
	return string(all)
}
