//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestPassmass(t *testing.T) {
	needDrover(t, "run")
	hosts := farm.Names[:10]
	t.Cleanup(func() {
		for _, h := range hosts {
			farmExec(t, h, "echo pwuser:pw-old | chpasswd")
		}
	})
	newPass := "e2e-N3w-" + randomHex(t, 6)
	dir := t.TempDir()
	logDir, outFile, exitFile := filepath.Join(dir, "logs"), filepath.Join(dir, "out"), filepath.Join(dir, "exit")
	runbook, err := filepath.Abs("../examples/passmass/runbook.toml")
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	screen := runOnTerminal(t, "SSH password", "pw-old", exitFile, fmt.Sprintf(
		"PASSMASS_OLD=pw-old PASSMASS_NEW=%s %s run %s -i %s -H %s -u pwuser --ask-pass -v --log-dir %s 2>&1 | tee %s",
		newPass, droverAbs(t), runbook, farm.Inventory(), strings.Join(hosts, ","), logDir, outFile))

	if code, _ := os.ReadFile(exitFile); strings.TrimSpace(string(code)) != "0" {
		t.Errorf("exit %s, want 0", code)
	}
	for _, h := range hosts {
		addr := farm.Addr(t, h)
		if err := passwordLogin(addr, "pwuser", newPass); err != nil {
			t.Errorf("%s: pwuser cannot log in with the new password: %v", h, err)
		}
		if err := passwordLogin(addr, "pwuser", "pw-old"); err == nil {
			t.Errorf("%s: pwuser still logs in with the old password", h)
		}
	}
	journal, _ := lastJournal(t, since)
	places := map[string]string{"terminal": screen, "output": readOr(outFile)}
	places["journal"] = readOr(journal)
	filepath.WalkDir(logDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			places["transcript "+d.Name()] = readOr(p)
		}
		return nil
	})
	if len(places) < 3+len(hosts) {
		t.Errorf("%d transcripts in --log-dir, want one per host", len(places)-3)
	}
	for where, text := range places {
		for _, secret := range []string{newPass, "pw-old"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows the password %q", where, secret)
			}
		}
	}
}

// runOnTerminal runs a shell line under tmux on a real terminal with
// drover's environment, answers prompt with answer, waits until the line
// has written its exit status to exitFile and returns the screen.
func runOnTerminal(t testing.TB, prompt, answer, exitFile, line string) string {
	t.Helper()
	tm := newTmux(t)
	var env []string
	for _, kv := range droverEnv() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_STATE_HOME=") || kv == "NO_COLOR=1" {
			env = append(env, kv)
		}
	}
	script := writeIn(t, t.TempDir(), "line.sh", fmt.Sprintf("export %s\n%s\necho ${PIPESTATUS[0]} > %s\nsleep 600\n",
		strings.Join(env, " "), line, exitFile))
	tm.start(t, "bash "+script)
	waitFor(t, 30*time.Second, "the prompt "+prompt, func() bool { return strings.Contains(tm.screen(t), prompt) })
	tm.run(t, "send-keys", "-t", "e2e", answer, "Enter")
	waitFor(t, droverTimeout, "drover to finish", func() bool {
		_, err := os.Stat(exitFile)
		return err == nil
	})
	screen := tm.screen(t)
	t.Logf("terminal:\n%s", screen)
	return screen
}

// droverAbs is the absolute path of the binary under test.
func droverAbs(t testing.TB) string {
	t.Helper()
	bin, err := filepath.Abs(droverBin)
	if err != nil {
		t.Fatalf("path of drover: %v", err)
	}
	return bin
}

// passwordLogin logs in to addr as user with password auth only and runs true.
func passwordLogin(addr, user, password string) error {
	hostKeys, err := knownhosts.New(farm.KnownHosts())
	if err != nil {
		return fmt.Errorf("read known_hosts: %w", err)
	}
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: hostKeys,
		Timeout:         10 * time.Second,
	}
	c, err := ssh.Dial("tcp", addr+":22", cfg)
	if err != nil {
		return fmt.Errorf("log in to %s as %s: %w", addr, user, err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return fmt.Errorf("open session on %s: %w", addr, err)
	}
	defer s.Close()
	return s.Run("true")
}

// randomHex is n random bytes in hex.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

// readOr is the content of the file at path, "" when it cannot be read.
func readOr(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
