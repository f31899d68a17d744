//go:build e2e

// Package e2e runs drover against a farm of real OpenSSH servers started by
// examples/farm/farm.sh: one sshd per host on its own loopback address, each
// in a private mount namespace with its own /etc, /home and /srv.
//
// It needs root, openssh-server, sudo, util-linux and tmux, and is built only
// with the e2e tag (`make e2e`, which builds bin/drover first). It does not
// test drover's packages one by one: the unit and CLI tests do that on the
// in-process server. Tests share one farm and do not run in parallel; a test
// that breaks a host (kill, stop, rekey) repairs it in its cleanup.
package e2e

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	farmHosts    = 20
	farmCAHosts  = 5 // ca01..ca05: host certificates, MaxAuthTries 3; ca05's names ca01
	farmDropbear = 3 // db01..db03: Dropbear
	farmBusyBox  = 3 // bb01..bb03: BusyBox's ash and applets only
	farmScript   = "../examples/farm/farm.sh"
	dropbearBin  = "/usr/sbin/dropbear"
)

// busyboxBin is where Debian's busybox package puts BusyBox.
var busyboxBin = cmp.Or(os.Getenv("BUSYBOX"), "/bin/busybox")

// farmNet and farmDir place the farm: hosts listen on 127.0.<farmNet>.1 ..
// 127.0.<farmNet>.20. $DROVER_E2E_NET and $DROVER_E2E_FARM move it, so two
// suites can run on one machine at the same time.
var (
	farmNet = cmp.Or(os.Getenv("DROVER_E2E_NET"), "11")
	farmDir = cmp.Or(os.Getenv("DROVER_E2E_FARM"), filepath.Join(os.TempDir(), "drover-e2e-farm"))
)

// droverBin is the binary under test: $DROVER_E2E_BIN, else the one
// `make build` writes.
var droverBin = cmp.Or(os.Getenv("DROVER_E2E_BIN"), "../bin/drover")

// farm is the running farm every test uses; set by TestMain.
var farm *Farm

// Farm is a running farm.sh farm.
type Farm struct {
	Dir   string   // --dir of farm.sh: keys, known_hosts, inventory.toml, hosts/
	Names []string // host names in inventory order: web01 ..

	// CANames are the ca hosts (group ca): sshd presents a host certificate
	// signed by the farm's host CA and allows 3 authentication attempts.
	// The last one's certificate names ca01, the wrong principal.
	CANames []string

	// DropbearNames are the Dropbear hosts (group dropbear); empty when
	// Dropbear is not installed.
	DropbearNames []string

	// BusyBoxNames are the BusyBox hosts (group busybox): OpenSSH, with
	// BusyBox's ash as every user's shell and only BusyBox's applets on
	// PATH; empty when BusyBox is not installed.
	BusyBoxNames []string

	Home string // HOME and XDG_STATE_HOME for drover runs, away from the machine's ~/.ssh

	removeOnDown bool // down also removes Dir
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

// runMain brings the farm up, runs the tests and always takes the farm
// down. The farm lives in a fixed directory, so the next run cleans up after
// a run that was killed before it could.
func runMain(m *testing.M) int {
	if reason := farmUnsupported(); reason != "" {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "e2e: CI cannot run the farm: %s\n", reason)
			return 1
		}
		fmt.Printf("e2e: skipped: %s\n", reason)
		return 0
	}
	f, err := startFarm(farmDir, farmHosts)
	if f != nil {
		defer f.down()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	farm = f
	code := m.Run()
	if code == 0 {
		f.removeOnDown = true // keep the hosts' logs of a failed run
	}
	return code
}

// farmUnsupported says why this machine cannot run the farm, or "".
func farmUnsupported() string {
	if os.Geteuid() != 0 {
		return "needs root (mount namespaces, sshd on port 22)"
	}
	for _, tool := range []string{"/usr/sbin/sshd", "unshare", "nsenter", "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Sprintf("needs %s: %v", tool, err)
		}
	}
	return ""
}

// startFarm runs `farm.sh up n` in dir. The returned Farm is non-nil
// whenever something may have started, so the caller can take it down.
func startFarm(dir string, n int) (*Farm, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create farm directory: %w", err)
	}
	home, err := os.MkdirTemp("", "drover-e2e-home-")
	if err != nil {
		return nil, fmt.Errorf("create home for drover: %w", err)
	}
	f := &Farm{Dir: dir, Home: home}
	for i := 1; i <= n; i++ {
		f.Names = append(f.Names, fmt.Sprintf("web%02d", i))
	}
	for i := 1; i <= farmCAHosts; i++ {
		f.CANames = append(f.CANames, fmt.Sprintf("ca%02d", i))
	}
	args := []string{"up", fmt.Sprint(n), "--net", farmNet, "--ca", fmt.Sprint(farmCAHosts)}
	if _, err := os.Stat(dropbearBin); err == nil {
		for i := 1; i <= farmDropbear; i++ {
			f.DropbearNames = append(f.DropbearNames, fmt.Sprintf("db%02d", i))
		}
		args = append(args, "--dropbear", fmt.Sprint(farmDropbear))
	}
	if _, err := os.Stat(busyboxBin); err == nil {
		for i := 1; i <= farmBusyBox; i++ {
			f.BusyBoxNames = append(f.BusyBoxNames, fmt.Sprintf("bb%02d", i))
		}
		args = append(args, "--busybox", fmt.Sprint(farmBusyBox))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := f.script(ctx, args...); err != nil {
		return f, fmt.Errorf("farm up: %w\n%s", err, out)
	}
	return f, nil
}

// down stops the farm and removes drover's home; errors are printed only.
func (f *Farm) down() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := f.script(ctx, "down"); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: farm down: %v\n%s", err, out)
		return
	}
	os.RemoveAll(f.Home)
	if f.removeOnDown {
		os.RemoveAll(f.Dir)
	}
}

// script runs farm.sh with --dir and returns its combined output.
func (f *Farm) script(ctx context.Context, args ...string) (string, error) {
	args = append([]string{args[0], "--dir", f.Dir}, args[1:]...)
	out, err := exec.CommandContext(ctx, farmScript, args...).CombinedOutput()
	return string(out), err
}

// Inventory is the farm's inventory.toml.
func (f *Farm) Inventory() string { return filepath.Join(f.Dir, "inventory.toml") }

// Key is the client key authorized for every user on every host.
func (f *Farm) Key() string { return filepath.Join(f.Dir, "id_ed25519") }

// KnownHosts is the known_hosts file with every host's current key.
func (f *Farm) KnownHosts() string { return filepath.Join(f.Dir, "known_hosts") }

// File is a file farm.sh wrote in the farm's directory: keys, CAs and
// known_hosts variants (see examples/farm/farm.sh).
func (f *Farm) File(name string) string { return filepath.Join(f.Dir, name) }

// Addr is the loopback address of host name.
func (f *Farm) Addr(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.Dir, "hosts", name, "addr"))
	if err != nil {
		t.Fatalf("address of %s: %v", name, err)
	}
	return strings.TrimSpace(string(b))
}

// SSHDLog is the current content of host name's sshd log.
func (f *Farm) SSHDLog(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.Dir, "hosts", name, "sshd.log"))
	if err != nil {
		t.Fatalf("sshd log of %s: %v", name, err)
	}
	return string(b)
}

// farmDo runs a farm.sh subcommand on host name, failing the test on error.
func farmDo(t testing.TB, sub, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := farm.script(ctx, sub, name); err != nil {
		t.Fatalf("farm.sh %s %s: %v\n%s", sub, name, err, out)
	}
}

// farmExec runs cmd as root inside host's mount namespace and returns its
// stdout; a non-zero exit fails the test.
func farmExec(t testing.TB, host, cmd string) string {
	t.Helper()
	out, code := farmExecCode(t, host, cmd)
	if code != 0 {
		t.Fatalf("farm exec %s %q: exit %d\n%s", host, cmd, code, out)
	}
	return out
}

// farmExecCode is farmExec that returns the exit status instead of failing.
func farmExecCode(t testing.TB, host, cmd string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, farmScript, "exec", "--dir", farm.Dir, host, "--", cmd)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	code := exitStatus(t, c.Run())
	return out.String(), code
}

// exitStatus is the exit code in err from exec.Cmd.Run; other errors fail t.
func exitStatus(t testing.TB, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	default:
		t.Fatalf("run: %v", err)
		return -1
	}
}

// sshCmd runs cmd on addr as user with OpenSSH's client and the farm's key.
func sshCmd(t testing.TB, user, addr, cmd string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "ssh", "-i", farm.Key(), "-o", "UserKnownHostsFile="+farm.KnownHosts(),
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-F", "/dev/null", user+"@"+addr, cmd)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	code := exitStatus(t, c.Run())
	return out.String(), code
}

func TestFarm(t *testing.T) {
	t.Run("each host answers with its own name", func(t *testing.T) {
		for _, name := range farm.Names {
			out, code := sshCmd(t, "deploy", farm.Addr(t, name), "cat /etc/hostname")
			if code != 0 || strings.TrimSpace(out) != name {
				t.Errorf("%s: cat /etc/hostname = %q, exit %d", name, out, code)
			}
		}
	})
	t.Run("each host has its own /srv", func(t *testing.T) {
		farmExec(t, "web01", "echo only-on-web01 > /srv/e2e-marker")
		t.Cleanup(func() { farmExec(t, "web01", "rm -f /srv/e2e-marker") })
		for _, name := range farm.Names {
			out, _ := sshCmd(t, "deploy", farm.Addr(t, name), "cat /srv/hostname; cat /srv/e2e-marker 2>/dev/null")
			want := name + "\n"
			if name == "web01" {
				want += "only-on-web01\n"
			}
			if out != want {
				t.Errorf("%s: /srv shows %q, want %q", name, out, want)
			}
		}
	})
	tests := []struct {
		name     string
		user     string
		cmd      string
		wantCode int
		wantOut  string
	}{
		{"deploy has passwordless sudo", "deploy", "sudo -n true && echo sudo-ok", 0, "sudo-ok"},
		{"ops's sudo asks for a password", "ops", "sudo -n true", 1, "a password is required"},
		{"root logs in by key", "root", "id -un", 0, "root"},
		{"pwuser cannot log in by key", "pwuser", "true", 255, "Permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := sshCmd(t, tt.user, farm.Addr(t, "web03"), tt.cmd)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Errorf("%s@web03 %q: exit %d, output %q; want exit %d and %q", tt.user, tt.cmd, code, out, tt.wantCode, tt.wantOut)
			}
		})
	}
	t.Run("sudo attempts are logged per host", func(t *testing.T) {
		sshCmd(t, "ops", farm.Addr(t, "web04"), "sudo -n true")
		if log := farmExec(t, "web04", "cat /var/log/sudo.log"); !strings.Contains(log, "ops : a password is required") {
			t.Errorf("web04 sudo.log lacks the refused attempt:\n%s", log)
		}
	})
}

// TrustCurrentKey rewrites host name's line in the farm's known_hosts with
// its current host key, after a test changed it (farm.sh rekey).
func (f *Farm) TrustCurrentKey(t testing.TB, name string) {
	t.Helper()
	addr := f.Addr(t, name)
	b, err := os.ReadFile(f.KnownHosts())
	if err != nil {
		t.Fatalf("read known_hosts: %v", err)
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, addr+" ") {
			line = addr + " " + f.HostKey(t, name)
		}
		lines = append(lines, line)
	}
	if err := os.WriteFile(f.KnownHosts(), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatalf("write known_hosts: %v", err)
	}
}

// HostKey is host name's current public host key, "TYPE BASE64".
func (f *Farm) HostKey(t testing.TB, name string) string {
	t.Helper()
	unit, err := os.ReadFile(filepath.Join(f.Dir, "hosts", name, "unit"))
	if err != nil {
		t.Fatalf("unit of %s: %v", name, err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(unit)), "ssh_host_ed25519_key.pub"))
	if err != nil {
		t.Fatalf("host key of %s: %v", name, err)
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		t.Fatalf("host key of %s: malformed %q", name, b)
	}
	return fields[0] + " " + fields[1]
}
