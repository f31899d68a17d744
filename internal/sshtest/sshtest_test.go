package sshtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func startFarm(t *testing.T, opts Options) *Farm {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.KillDelay == 0 {
		opts.KillDelay = 50 * time.Millisecond
	}
	f, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

func keyAuth(t *testing.T, f *Farm) gossh.AuthMethod {
	t.Helper()
	pem, err := os.ReadFile(f.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatalf("parse client key: %v", err)
	}
	return gossh.PublicKeys(signer)
}

func dialWith(h *Host, user string, auth gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", h.Address(), &gossh.ClientConfig{
		User:            user,
		Auth:            []gossh.AuthMethod{auth},
		HostKeyCallback: gossh.FixedHostKey(h.hostKey()),
		Timeout:         5 * time.Second,
	})
}

func dial(t *testing.T, f *Farm, h *Host) *gossh.Client {
	t.Helper()
	c, err := dialWith(h, "deploy", keyAuth(t, f))
	if err != nil {
		t.Fatalf("dial %s: %v", h.Name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *gossh.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitStatus()
	default:
		t.Fatalf("command failed without an exit status: %v", err)
		return -1
	}
}

func TestExec(t *testing.T) {
	f := startFarm(t, Options{Hosts: 1, Env: []string{"EXTRA=yes"}})
	h := f.Hosts[0]
	tests := []struct {
		name      string
		cmd       string
		stdin     string
		wantOut   string
		wantErr   string
		wantCode  int
		wantInDir bool
	}{
		{name: "exit 0", cmd: "true"},
		{name: "exit 3", cmd: "exit 3", wantCode: 3},
		{name: "stdout and stderr apart", cmd: "echo out; echo err >&2; exit 1", wantOut: "out\n", wantErr: "err\n", wantCode: 1},
		{name: "stdin", cmd: "tr a-z A-Z", stdin: "hello\n", wantOut: "HELLO\n"},
		{name: "environment", cmd: `echo "$USER $LOGNAME $DROVER_SANDBOX_HOST $EXTRA"`, wantOut: "deploy deploy host01 yes\n"},
		{name: "home and cwd", cmd: `echo "$HOME"; pwd`, wantOut: h.Dir + "\n" + h.Dir + "\n"},
	}
	c := dial(t, f, h)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := c.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var out, errOut bytes.Buffer
			s.Stdout, s.Stderr, s.Stdin = &out, &errOut, strings.NewReader(tt.stdin)
			code := exitCode(t, s.Run(tt.cmd))
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if out.String() != tt.wantOut || errOut.String() != tt.wantErr {
				t.Errorf("stdout %q stderr %q, want %q %q", out.String(), errOut.String(), tt.wantOut, tt.wantErr)
			}
		})
	}
}

func TestPTYPromptWithoutNewline(t *testing.T) {
	f := startFarm(t, Options{})
	c := dial(t, f, f.Hosts[0])
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatalf("RequestPty: %v", err)
	}
	stdin, _ := s.StdinPipe()
	stdout, _ := s.StdoutPipe()
	cmd := `echo "term=$TERM"; stty size; printf 'Overwrite (y/n)? '; read a; echo "got $a" >&2; exit 4`
	if err := s.Start(cmd); err != nil {
		t.Fatal(err)
	}
	out := readUntil(t, stdout, "Overwrite (y/n)? ")
	if !strings.Contains(out, "term=xterm\r\n") || !strings.Contains(out, "24 80\r\n") {
		t.Errorf("output before the prompt = %q", out)
	}
	if _, err := stdin.Write([]byte("y\n")); err != nil {
		t.Fatal(err)
	}
	readUntil(t, stdout, "got y\r\n")
	if code := exitCode(t, s.Wait()); code != 4 {
		t.Errorf("exit code = %d, want 4", code)
	}
}

// A process left in the background holding the terminal does not keep a
// PTY session open once the leader exited, and the leader's last output
// is not lost on the way.
func TestPTYHeldByBackgroundProcess(t *testing.T) {
	f := startFarm(t, Options{})
	c := dial(t, f, f.Hosts[0])
	for i := range 20 {
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
			t.Fatalf("RequestPty: %v", err)
		}
		var out bytes.Buffer
		s.Stdout = &out
		start := time.Now()
		err = s.Run(`(trap "" HUP; : >held; exec sleep 6011) & until [ -e held ]; do sleep 0.01; done; rm held; echo "leader done"; exit 5`)
		s.Close()
		if code := exitCode(t, err); code != 5 {
			t.Fatalf("run %d: exit code = %d, want 5", i, code)
		}
		if !strings.Contains(out.String(), "leader done\r\n") {
			t.Fatalf("run %d: output = %q, want the leader's last line", i, out.String())
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("run %d: the session stayed open %v for a background process", i, took)
		}
	}
}

// readUntil reads r until its output ends with want, and fails the test if
// r ends first or takes longer than 10s.
func readUntil(t *testing.T, r io.Reader, want string) string {
	t.Helper()
	type result struct {
		got []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		var got []byte
		buf := make([]byte, 1024)
		for {
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if bytes.HasSuffix(got, []byte(want)) || err != nil {
				done <- result{got, err}
				return
			}
		}
	}()
	select {
	case res := <-done:
		if !bytes.HasSuffix(res.got, []byte(want)) {
			t.Fatalf("output ended (%v) before %q: %q", res.err, want, res.got)
		}
		return string(res.got)
	case <-time.After(10 * time.Second):
		t.Fatalf("no %q within 10s", want)
		return ""
	}
}

func TestKnownHostsAndInventory(t *testing.T) {
	f := startFarm(t, Options{Hosts: 3})
	kh := filepath.Join(f.Dir, "known_hosts")
	if err := f.KnownHosts(kh); err != nil {
		t.Fatal(err)
	}
	callback, err := knownhosts.New(kh)
	if err != nil {
		t.Fatalf("parse known_hosts: %v", err)
	}
	for _, h := range f.Hosts {
		c, err := gossh.Dial("tcp", h.Address(), &gossh.ClientConfig{
			User: "deploy", Auth: []gossh.AuthMethod{keyAuth(t, f)}, HostKeyCallback: callback,
		})
		if err != nil {
			t.Fatalf("dial %s with the written known_hosts: %v", h.Name, err)
		}
		c.Close()
	}
	inv := filepath.Join(f.Dir, "inventory.toml")
	if err := f.Inventory(inv, kh); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(inv)
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Defaults map[string]any
		Groups   map[string][]string
		Hosts    map[string]struct {
			Hostname string
			Port     int
		}
	}
	if _, err := toml.Decode(string(data), &parsed); err != nil {
		t.Fatalf("inventory is not valid TOML: %v\n%s", err, data)
	}
	if h := f.Hosts[2]; parsed.Hosts[h.Name].Port != h.Port || parsed.Defaults["user"] != f.Endpoint(h, "").User {
		t.Errorf("inventory of %s = %+v, defaults %v", h.Name, parsed.Hosts[h.Name], parsed.Defaults)
	}
	for _, want := range []string{
		"identity = \"" + f.ClientKey + "\"",
		"known_hosts = \"" + kh + "\"",
		`all = ["host01", "host02", "host03"]`,
		`web = ["host01", "host02", "host03"]`,
		"[hosts.\"host02\"]\nhostname = \"127.0.0.1\"\nport = ",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("inventory lacks %q:\n%s", want, data)
		}
	}
}

func TestWindowChange(t *testing.T) {
	f := startFarm(t, Options{})
	s := mustSession(t, dial(t, f, f.Hosts[0]))
	if err := s.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	stdout, _ := s.StdoutPipe()
	// The resize is a channel request, handled beside the session's data,
	// so the command waits (up to 10s) for the PTY to see it.
	if err := s.Start(`printf 'ready '; i=0; while [ "$(stty size)" != "40 100" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; stty size`); err != nil {
		t.Fatal(err)
	}
	readUntil(t, stdout, "ready ")
	if err := s.WindowChange(40, 100); err != nil {
		t.Fatal(err)
	}
	readUntil(t, stdout, "40 100\r\n")
	if err := s.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestShell(t *testing.T) {
	f := startFarm(t, Options{})
	s := mustSession(t, dial(t, f, f.Hosts[0]))
	if err := s.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	stdin, _ := s.StdinPipe()
	stdout, _ := s.StdoutPipe()
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(stdin, "echo shell-$DROVER_SANDBOX_HOST; exit 5\n")
	readUntil(t, stdout, "shell-host01\r\n")
	if code := exitCode(t, s.Wait()); code != 5 {
		t.Errorf("exit code = %d, want 5", code)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	f, err := Start(context.Background(), Options{Dir: t.TempDir(), Hosts: 2, KillDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for i, h := range f.Hosts {
		c := dial(t, f, h)
		_, pid := startSleeper(t, c, i == 0)
		pids = append(pids, pid)
	}
	// A forwarded connection in flight and a frozen host do not hold Close up.
	c := dial(t, f, f.Hosts[1])
	inFlight, err := c.Dial("tcp", echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer inFlight.Close()
	f.Hosts[1].Freeze()
	closed := make(chan error, 1)
	go func() { closed <- f.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	for i, h := range f.Hosts {
		if n := h.Processes(); n != 0 {
			t.Errorf("%s: Processes() = %d after Close", h.Name, n)
		}
		waitDead(t, pids[i])
	}
}

func TestStartOptions(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		wantNames []string
		wantErr   bool
	}{
		{name: "default one host", wantNames: []string{"host01"}},
		{name: "numbered hosts", opts: Options{Hosts: 3}, wantNames: []string{"host01", "host02", "host03"}},
		{name: "names win", opts: Options{Hosts: 3, Names: []string{"web1", "db1"}}, wantNames: []string{"web1", "db1"}},
		{name: "repeated name", opts: Options{Names: []string{"a", "a"}}, wantErr: true},
		{name: "path in name", opts: Options{Names: []string{"../a"}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Dir = t.TempDir()
			f, err := Start(context.Background(), tt.opts)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Start error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer f.Close()
			var names []string
			for _, h := range f.Hosts {
				names = append(names, h.Name)
				if st, err := os.Stat(h.Dir); err != nil || !st.IsDir() || h.Dir != filepath.Join(tt.opts.Dir, h.Name) {
					t.Errorf("%s: directory %s missing or misplaced (%v)", h.Name, h.Dir, err)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
				t.Errorf("hosts = %v, want %v", names, tt.wantNames)
			}
		})
	}
}
