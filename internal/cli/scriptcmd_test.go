package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/drover-sh/drover/internal/sshtest"
)

// scriptCmds are the commands scripts use to arrange and inspect the farm.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"exitcode":  cmdExitCode,
	"onhost":    cmdOnHost,
	"hostfile":  cmdHostFile,
	"counts":    cmdCounts,
	"snapshot":  cmdSnapshot,
	"unchanged": cmdUnchanged,
	"waitfile":  cmdWaitFile,
	"freeze":    faultCmd("freeze", (*sshtest.Host).Freeze),
	"thaw":      faultCmd("thaw", (*sshtest.Host).Thaw),
	"drop":      faultCmd("drop", (*sshtest.Host).Drop),
	"stophost":  faultCmd("stophost", (*sshtest.Host).Stop),
	"rekey":     cmdRekey,
	"accepted":  cmdAccepted,
}

// cmdAccepted checks how many TCP connections the farm's hosts have
// accepted in all: accepted N.
func cmdAccepted(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: accepted N")
	}
	n := 0
	for _, h := range scriptFarm(ts).Hosts {
		n += h.Accepted()
	}
	if (strconv.Itoa(n) == args[0]) == neg {
		ts.Fatalf("the farm accepted %d connections, want %s%s", n, map[bool]string{true: "not "}[neg], args[0])
	}
}

func scriptFarm(ts *testscript.TestScript) *sshtest.Farm {
	f, _ := ts.Value(farmKey{}).(*sshtest.Farm)
	if f == nil {
		ts.Fatalf("this script has no farm")
	}
	return f
}

// pickHosts turns "all" or a comma list of names into hosts.
func pickHosts(ts *testscript.TestScript, names string) []*sshtest.Host {
	f := scriptFarm(ts)
	if names == "all" {
		return f.Hosts
	}
	var hosts []*sshtest.Host
	for _, name := range strings.Split(names, ",") {
		h := f.Host(name)
		if h == nil {
			ts.Fatalf("no host %q in the farm", name)
		}
		hosts = append(hosts, h)
	}
	return hosts
}

// cmdOnHost runs a shell command in the directory of each named host, as
// the host itself would: onhost all|NAME[,NAME] 'SHELL'.
func cmdOnHost(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: onhost all|NAME[,NAME...] 'SHELL COMMAND'")
	}
	for _, h := range pickHosts(ts, args[0]) {
		cmd := exec.Command("/bin/sh", "-c", args[1])
		cmd.Dir = h.Dir
		cmd.Env = append(os.Environ(), "HOME="+h.Dir, "DROVER_SANDBOX_HOST="+h.Name)
		out, err := cmd.CombinedOutput()
		if neg && err == nil {
			ts.Fatalf("onhost %s: unexpected success", h.Name)
		}
		if !neg && err != nil {
			ts.Fatalf("onhost %s: %v\n%s", h.Name, err, out)
		}
	}
}

// cmdHostFile prints a file of a host to stdout: hostfile NAME PATH.
func cmdHostFile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: hostfile NAME PATH")
	}
	h := pickHosts(ts, args[0])[0]
	b, err := os.ReadFile(filepath.Join(h.Dir, args[1]))
	ts.Check(err)
	ts.Stdout().Write(b)
}

// cmdCounts checks how many lines a file has on each host:
// counts PATH N [NAME=N]... wants N lines everywhere except where a host
// is named; 0 also accepts a missing file.
func cmdCounts(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || neg {
		ts.Fatalf("usage: counts PATH N [NAME=N]...")
	}
	want := map[string]string{}
	for _, a := range args[2:] {
		name, n, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("counts: want NAME=N, got %q", a)
		}
		want[name] = n
	}
	var bad []string
	for _, h := range scriptFarm(ts).Hosts {
		w, ok := want[h.Name]
		if !ok {
			w = args[1]
		}
		if got := lineCount(filepath.Join(h.Dir, args[0])); strconv.Itoa(got) != w {
			bad = append(bad, fmt.Sprintf("%s: %d lines, want %s", h.Name, got, w))
		}
	}
	if len(bad) > 0 {
		ts.Fatalf("counts %s:\n%s", args[0], strings.Join(bad, "\n"))
	}
}

func lineCount(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// cmdSnapshot records every file of every host (path, mode, content) so
// that unchanged can prove a command touched nothing.
func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: snapshot")
	}
	ts.Setenv("DROVER_TEST_SNAPSHOT", farmListing(ts))
}

// cmdUnchanged fails when any host's files differ from the last snapshot.
func cmdUnchanged(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: unchanged")
	}
	before := ts.Getenv("DROVER_TEST_SNAPSHOT")
	if before == "" {
		ts.Fatalf("unchanged: no snapshot taken")
	}
	if now := farmListing(ts); now != before {
		ts.Fatalf("hosts changed since the snapshot:\nbefore:\n%s\nnow:\n%s", before, now)
	}
}

func farmListing(ts *testscript.TestScript) string {
	var lines []string
	for _, h := range scriptFarm(ts).Hosts {
		err := filepath.WalkDir(h.Dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(filepath.Dir(h.Dir), path)
			info, err := d.Info()
			if err != nil {
				return err
			}
			line := fmt.Sprintf("%s %v", rel, info.Mode())
			if d.Type()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(path)
				if err != nil {
					return err
				}
				line += " -> " + target
			}
			if d.Type().IsRegular() {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				sum := sha256.Sum256(b)
				line += " " + hex.EncodeToString(sum[:8])
			}
			lines = append(lines, line)
			return nil
		})
		ts.Check(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// faultCmd makes a command that applies a fault to the named hosts.
func faultCmd(name string, fault func(*sshtest.Host)) func(*testscript.TestScript, bool, []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: %s all|NAME[,NAME...]", name)
		}
		for _, h := range pickHosts(ts, args[0]) {
			fault(h)
		}
	}
}

// cmdRekey gives the named hosts new host keys; known_hosts keeps the old.
func cmdRekey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: rekey all|NAME[,NAME...]")
	}
	for _, h := range pickHosts(ts, args[0]) {
		ts.Check(h.Rekey())
	}
}

// cmdExitCode checks the exit code of the last drover command: exitcode N.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: exitcode N")
	}
	path := ts.Getenv(statusFileEnv)
	b, err := os.ReadFile(path)
	ts.Check(err)
	ts.Check(os.Remove(path))
	if got := string(b); got != args[0] {
		ts.Fatalf("drover exited with %s, want %s", got, args[0])
	}
}

// waitFileTimeout bounds waitfile: a file that does not appear by then
// fails the script.
const waitFileTimeout = 20 * time.Second

// cmdWaitFile waits until a file exists on a host, which a step of a
// background drover creates when it reached a known point:
// waitfile NAME PATH.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfile NAME PATH")
	}
	path := filepath.Join(pickHosts(ts, args[0])[0].Dir, args[1])
	ctx, cancel := context.WithTimeout(context.Background(), waitFileTimeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-ctx.Done():
			ts.Fatalf("waitfile %s %s: not there after %v", args[0], args[1], waitFileTimeout)
		case <-tick.C:
		}
	}
}
