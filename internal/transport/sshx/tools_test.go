package sshx_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// needTools skips the test when a real OpenSSH tool is missing, and fails
// it under CI, where they must be installed.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is needed: %v", tool, err)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
}

// run runs a real tool and fails the test when it fails.
func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keygen makes a new ed25519 key with ssh-keygen, protected by passphrase
// when it is set, and returns its path (FILE.pub is written beside it).
func keygen(t *testing.T, dir, name, passphrase string, extra ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	args := append([]string{"-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", path}, extra...)
	run(t, nil, "ssh-keygen", args...)
	return path
}

// encryptCopy copies the unencrypted private key src to dir/name and sets
// its passphrase with ssh-keygen -p. No .pub is written beside it.
func encryptCopy(t *testing.T, src, dir, name, passphrase string, extra ...string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, name)
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-q", "-p", "-P", "", "-N", passphrase, "-f", dst}, extra...)
	run(t, nil, "ssh-keygen", args...)
	return dst
}

// sign signs pub (a .pub file) with the CA key file using ssh-keygen -s
// and returns the certificate file (PUB minus .pub, plus -cert.pub).
func sign(t *testing.T, ca, pub, id string, args ...string) string {
	t.Helper()
	all := append([]string{"-q", "-s", ca, "-I", id}, args...)
	run(t, nil, "ssh-keygen", append(all, pub)...)
	return strings.TrimSuffix(pub, ".pub") + "-cert.pub"
}

// readCert parses a certificate file.
func readCert(t *testing.T, path string) *ssh.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok {
		t.Fatalf("%s is not a certificate", path)
	}
	return cert
}

// readPub parses a public key file.
func readPub(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return pub
}

// startAgent runs a real ssh-agent on a socket of its own until the test
// ends, and returns the socket.
func startAgent(t *testing.T) string {
	t.Helper()
	needTools(t, "ssh-agent", "ssh-add")
	dir, err := os.MkdirTemp("", "agent")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ssh-agent: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(dir)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		// The socket file appears at bind, before the agent listens: wait
		// until a connection is accepted.
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
		select {
		case <-ctx.Done():
			t.Fatalf("ssh-agent did not create %s", sock)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sshAdd loads key files into the agent at sock with the real ssh-add,
// answering a passphrase prompt through SSH_ASKPASS.
func sshAdd(t *testing.T, sock, passphrase string, files ...string) {
	t.Helper()
	askpass := filepath.Join(t.TempDir(), "askpass")
	script := fmt.Sprintf("#!/bin/sh\necho '%s'\n", passphrase)
	if err := os.WriteFile(askpass, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{"SSH_AUTH_SOCK=" + sock, "SSH_ASKPASS=" + askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0"}
	cmd := exec.Command("ssh-add", files...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = nil
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add %s: %v\n%s", strings.Join(files, " "), err, out)
	}
}
