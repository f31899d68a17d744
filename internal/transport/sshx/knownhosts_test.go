package sshx_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/sshtest"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// TestHashKnownHostsReadableBySSHKeygen: accept-new with HashKnownHosts
// writes hashed lines that the real ssh-keygen -F finds under the name ssh
// would look up (with the port, or the HostKeyAlias), and that drover
// itself accepts on the next dial.
func TestHashKnownHostsReadableBySSHKeygen(t *testing.T) {
	needTools(t, "ssh-keygen")
	farm, _ := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	tests := []struct {
		name, alias, lookup string
	}{
		{"address and port", "", fmt.Sprintf("[%s]:%d", h.Addr, h.Port)},
		{"host key alias", "Web1.Farm", "web1.farm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known := filepath.Join(t.TempDir(), "known_hosts")
			ep := endpoint(farm, h, known)
			ep.HostKeyAlias, ep.HashKnownHosts = tt.alias, true
			opts := testOptions
			opts.StrictHostKeyChecking = "accept-new"
			dialOK(t, sshx.New(opts), ep)
			b, _ := os.ReadFile(known)
			if !strings.HasPrefix(string(b), "|1|") || strings.Contains(string(b), h.Addr) {
				t.Fatalf("known_hosts is not hashed:\n%s", b)
			}
			out := run(t, nil, "ssh-keygen", "-F", tt.lookup, "-f", known)
			if !strings.Contains(out, "found") || !strings.Contains(out, h.HostKey.Type()) {
				t.Fatalf("ssh-keygen -F %s does not find what drover wrote:\n%s", tt.lookup, out)
			}
			if err := exec.Command("ssh-keygen", "-F", "other.example", "-f", known).Run(); err == nil {
				t.Fatal("ssh-keygen -F finds another name too")
			}
			dialOK(t, sshx.New(testOptions), ep)
		})
	}
}

// TestStrictHostKeyChecking: what each ssh_config value does with an
// unknown key, and that no value accepts a changed one.
func TestStrictHostKeyChecking(t *testing.T) {
	farm, _ := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	tests := []struct {
		value   string
		dialer  string // Options.StrictHostKeyChecking
		flag    bool   // Options.AcceptNew (--accept-new-host-keys)
		wantNew bool   // the unknown key is accepted and written
	}{
		{"yes", "", false, false},
		{"ask", "", false, false},
		{"", "", false, false},
		{"accept-new", "", false, true},
		{"no", "", false, true},
		{"off", "", false, true},
		{"", "accept-new", false, true},
		{"yes", "", true, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q dialer %q flag %v", tt.value, tt.dialer, tt.flag), func(t *testing.T) {
			opts := testOptions
			opts.StrictHostKeyChecking, opts.AcceptNew = tt.dialer, tt.flag
			d := sshx.New(opts)

			known := filepath.Join(t.TempDir(), "known_hosts")
			ep := endpoint(farm, h, known)
			ep.StrictHostKeyChecking = tt.value
			conn, err := d.Dial(context.Background(), ep)
			if tt.wantNew {
				if err != nil {
					t.Fatalf("unknown key refused: %v", err)
				}
				conn.Close()
			} else if !isProblem(err, transport.HostKeyUnknown) {
				t.Fatalf("dial = %v, want an unknown host key", err)
			}

			changed := endpoint(farm, h, writeOtherKey(t, h.Address()))
			changed.StrictHostKeyChecking = tt.value
			if _, err := d.Dial(context.Background(), changed); !isProblem(err, transport.HostKeyChanged) {
				t.Fatalf("dial with a changed key = %v, want it refused", err)
			}
		})
	}
}

func isProblem(err error, p transport.HostKeyProblem) bool {
	var hkErr *transport.HostKeyError
	return errors.As(err, &hkErr) && hkErr.Problem == p
}

// TestAcceptNewOnceAcrossDialers: several Dialers (as several drover
// processes would: each its own mutex, so only the file lock keeps them
// apart) dial the same unknown hosts at once, targets behind one unknown
// jump host. Every host ends up in known_hosts exactly once.
func TestAcceptNewOnceAcrossDialers(t *testing.T) {
	const dialers, targets = 3, 3
	farm, _ := startFarm(t, targets+1, sshtest.Options{})
	bastion := farm.Hosts[0]
	known := filepath.Join(t.TempDir(), "known_hosts")
	var wg sync.WaitGroup
	for range dialers {
		opts := testOptions
		opts.AcceptNew = true
		d := sshx.New(opts)
		for _, h := range farm.Hosts[1:] {
			ep := endpoint(farm, h, known)
			ep.Jump = []transport.Endpoint{endpoint(farm, bastion, known)}
			wg.Go(func() { dialOK(t, d, ep) })
		}
	}
	wg.Wait()
	b, err := os.ReadFile(known)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range farm.Hosts {
		if n := strings.Count(string(b), fmt.Sprintf("[%s]:%d ", h.Addr, h.Port)); n != 1 {
			t.Errorf("%s is in known_hosts %d times, want once:\n%s", h.Name, n, b)
		}
	}
	if lines := strings.Count(string(b), "\n"); lines != targets+1 {
		t.Errorf("known_hosts has %d lines, want %d", lines, targets+1)
	}
}

// TestKnownHostsMatchesSSHKeygen is differential: for each name, drover
// must find a host's key in a known_hosts file exactly when the real
// ssh-keygen -F does (patterns, negation, ports, hashed names).
func TestKnownHostsMatchesSSHKeygen(t *testing.T) {
	needTools(t, "ssh-keygen")
	farm, _ := startFarm(t, 1, sshtest.Options{})
	h := farm.Hosts[0]
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(h.HostKey)))
	dir := t.TempDir()
	hashed := filepath.Join(dir, "hashed")
	writeLines(t, hashed, "hashed.example "+key)
	run(t, nil, "ssh-keygen", "-H", "-f", hashed)
	hashedLine, _ := os.ReadFile(hashed)
	files := []string{
		"*.farm " + key,
		"*.farm,!db*.farm " + key,
		"web?.farm " + key,
		"[web1.farm]:2222 " + key,
		"[*.farm]:* " + key,
		"WEB1.FARM " + key,
		"10.0.0.*,!10.0.0.1 " + key,
		strings.TrimSpace(string(hashedLine)),
	}
	names := []string{"web1.farm", "db1.farm", "web12.farm", "[web1.farm]:2222", "[db1.farm]:22",
		"10.0.0.1", "10.0.0.2", "hashed.example", "other.example"}
	for i, line := range files {
		file := filepath.Join(dir, fmt.Sprintf("kh%d", i))
		writeLines(t, file, line)
		for _, name := range names {
			want := exec.Command("ssh-keygen", "-F", name, "-f", file).Run() == nil
			got := knownBy(t, farm, h, file, name)
			if got != want {
				t.Errorf("line %q, name %q: drover finds it %v, ssh-keygen -F %v", line, name, got, want)
			}
		}
	}
}

// knownBy dials h under HostKeyAlias name with file as known_hosts and
// reports whether the key was found.
func knownBy(t *testing.T, farm *sshtest.Farm, h *sshtest.Host, file, name string) bool {
	t.Helper()
	ep := endpoint(farm, h, file)
	ep.HostKeyAlias = name
	ep.GlobalKnownHosts = []string{"none"}
	conn, err := sshx.New(testOptions).Dial(context.Background(), ep)
	if err == nil {
		conn.Close()
		return true
	}
	if !isProblem(err, transport.HostKeyUnknown) {
		t.Fatalf("dial %s with %s: %v", name, file, err)
	}
	return false
}
