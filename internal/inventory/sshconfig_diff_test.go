package inventory

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// corpusDir is where the corpus is copied before the test: its Include
// lines name files there by absolute path (OpenSSH 9.2 expands nothing in
// Include), and its Match exec lines test for files there.
const corpusDir = "/tmp/drover-sshconfig-corpus"

// TestSSHConfigAgainstOpenSSH is the differential test: for every host that
// a corpus file names in its "# hosts:" line, the settings drover resolves
// from that file alone must equal what `ssh -G -F FILE HOST` prints, for
// every key drover honours, and every jump host must equal what ssh -G
// prints for the `ssh -J ... HOP` ssh would run to reach it. Under CI=true a
// missing ssh is a failure.
func TestSSHConfigAgainstOpenSSH(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ssh is not installed: the differential ssh_config test cannot run")
		}
		t.Skip("ssh is not installed")
	}
	local := passwdLocal(t)
	files := copyCorpus(t)
	if len(files) < 30 {
		t.Fatalf("corpus has %d files, want at least 30", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if why := oldSSHDiffers(t, filepath.Base(file)); why != "" {
				t.Skip(why)
			}
			cfg, err := LoadSSHConfigFile(file)
			if err != nil {
				t.Fatal(err)
			}
			local := local
			local.SSHConfig = cfg
			hosts := corpusHosts(t, file)
			for _, target := range hosts {
				h := resolveOne(t, nil, target, Flags{}, local)
				g := sshG(t, file, sshArgs(target)...)
				compareWithSSH(t, target, h.Endpoint, h.Origin, g, local)
				compareJumps(t, file, h.Endpoint, g, local)
			}
		})
	}
}

// oldSSHDiffers says why the installed ssh cannot judge corpus file name,
// or "". OpenSSH builds before a fix (Debian 12's 9.2p1 up to deb12u6 among
// them) skip a ProxyCommand that follows "ProxyJump none"; current ones,
// and drover, keep it, since "none" sets no jump. A machine with the old
// ssh skips the file that tests it rather than fail on its ssh.
func oldSSHDiffers(t *testing.T, name string) string {
	if name != "17-proxyjump-none.conf" {
		return ""
	}
	probe := filepath.Join(t.TempDir(), "probe.conf")
	if err := os.WriteFile(probe, []byte("Host x\n\tProxyJump none\n\tProxyCommand nc %h %p\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if g := sshG(t, probe, "x"); len(g["proxycommand"]) == 0 {
		return "this ssh predates OpenSSH's fix: it skips a ProxyCommand after ProxyJump none"
	}
	return ""
}

// passwdLocal describes this machine the way ssh sees it: home directory
// from the user database, not $HOME.
func passwdLocal(t *testing.T) Local {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return Local{User: u.Username, Home: u.HomeDir, UID: u.Uid, Hostname: hostname, LookupEnv: os.LookupEnv}
}

// copyCorpus copies testdata/sshconfig to corpusDir, with the file that the
// corpus's Match exec lines look for, and returns the top-level files.
func copyCorpus(t *testing.T) []string {
	src := filepath.Join("testdata", "sshconfig")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(corpusDir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(corpusDir, "present"), nil, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// corpusHosts reads the "# hosts: a b user@c" line of a corpus file.
func corpusHosts(t *testing.T, file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "# hosts:"); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatalf("%s has no # hosts: line", file)
	return nil
}

// sshArgs is how ssh is told a drover target: user@host:port is -l and -p.
func sshArgs(target string) []string {
	tg, err := ParseTarget(target)
	if err != nil {
		panic(err)
	}
	var args []string
	if tg.User != "" {
		args = append(args, "-l", tg.User)
	}
	if tg.Port != 0 {
		args = append(args, "-p", strconv.Itoa(tg.Port))
	}
	return append(args, tg.Host)
}

// sshG runs ssh -G and returns its settings: key to values, in order.
func sshG(t *testing.T, file string, args ...string) map[string][]string {
	t.Helper()
	cmd := exec.Command("ssh", append([]string{"-G", "-F", file}, args...)...)
	cmd.Stdin = nil
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ssh -G -F %s %s: %v\n%s", file, strings.Join(args, " "), err, stderr.String())
	}
	g := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		g[k] = append(g[k], v)
	}
	return g
}

func one(g map[string][]string, key string) string {
	if v := g[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// compareWithSSH checks every key drover honours against ssh -G's output.
func compareWithSSH(t *testing.T, target string, ep transport.Endpoint, origin map[string]string, g map[string][]string, local Local) {
	t.Helper()
	check := func(key, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %s = %q, ssh -G says %q (from %s)", target, key, got, want, origin[key])
		}
	}
	check(SettingHost, ep.Host, one(g, "hostname"))
	check(SettingUser, ep.User, one(g, "user"))
	check(SettingPort, strconv.Itoa(ep.Port), one(g, "port"))
	tok := sshTokens(g, local)
	ids := expandAll(t, g["identityfile"], tok, local)
	if origin[SettingIdentity] == OriginDefault {
		for _, id := range ep.Identities {
			if !slices.Contains(ids, id) {
				t.Errorf("%s: default identity %s is not one of ssh's %q", target, id, ids)
			}
		}
	} else {
		check(SettingIdentity, strings.Join(ep.Identities, " "), strings.Join(ids, " "))
	}
	check(SettingCertificate, strings.Join(ep.Certificates, " "), strings.Join(expandAll(t, g["certificatefile"], tok, local), " "))
	check(SettingIdentitiesOnly, yesNo(ep.IdentitiesOnly), one(g, "identitiesonly"))
	check(SettingIdentityAgent, ep.IdentityAgent, sshAgent(one(g, "identityagent"), local))
	check(SettingKnownHosts, strings.Join(ep.KnownHosts, " "), noneEmpty(one(g, "userknownhostsfile")))
	check(SettingGlobalKnownHosts, strings.Join(ep.GlobalKnownHosts, " "), noneEmpty(one(g, "globalknownhostsfile")))
	check(SettingHostKeyAlias, ep.HostKeyAlias, one(g, "hostkeyalias"))
	check(SettingStrictHostKeyChecking, cmpOr(ep.StrictHostKeyChecking, "ask"), sshStrict(one(g, "stricthostkeychecking")))
	check(SettingHashKnownHosts, yesNo(ep.HashKnownHosts), one(g, "hashknownhosts"))
	check(SettingConnectTimeout, strconv.Itoa(int(ep.ConnectTimeout/time.Second)), strings.Replace(one(g, "connecttimeout"), "none", "0", 1))
	check(SettingServerAliveInterval, strconv.Itoa(int(ep.ServerAliveInterval/time.Second)), one(g, "serveraliveinterval"))
	check(SettingServerAliveCountMax, strconv.Itoa(cmpInt(ep.ServerAliveCountMax, 3)), one(g, "serveralivecountmax"))
	pc := one(g, "proxycommand")
	if pc != "" {
		pc = expandWith(t, pc, tokens{'h': tok['h'], 'k': tok['k'], 'n': tok['n'], 'p': tok['p'], 'r': tok['r']}, local, false)
	}
	check(SettingProxyCommand, ep.ProxyCommand, pc)
}

// compareJumps checks the jump chain: the hops ssh -G's proxyjump names,
// each resolved as ssh resolves it for `ssh -l U -p P -J REST HOP`.
func compareJumps(t *testing.T, file string, ep transport.Endpoint, g map[string][]string, local Local) {
	t.Helper()
	spec := one(g, "proxyjump")
	if spec == "" {
		if len(ep.Jump) != 0 {
			t.Errorf("%s: jump chain %s, ssh -G has none", ep.Name, jumpString(ep.Jump))
		}
		return
	}
	hops := SplitList(spec)
	if len(ep.Jump) < len(hops) {
		t.Fatalf("%s: jump chain %s, ssh -G says %s", ep.Name, jumpString(ep.Jump), spec)
	}
	tail := ep.Jump[len(ep.Jump)-len(hops):]
	for i, hop := range hops {
		hg := sshG(t, file, hopArgs(t, hop, hops[:i])...)
		origin := map[string]string{}
		if allDefault(hg["identityfile"]) {
			origin[SettingIdentity] = OriginDefault
		}
		compareWithSSH(t, ep.Name+" jump "+hop, tail[i], origin, hg, local)
	}
}

// allDefault says whether ssh's identity files are its built-in ones.
func allDefault(ids []string) bool {
	for _, id := range ids {
		if !strings.HasPrefix(id, "~/.ssh/id_") {
			return false
		}
	}
	return true
}

func hopArgs(t *testing.T, hop string, before []string) []string {
	tg, err := parseJumpHop(hop)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	if len(before) > 0 {
		args = append(args, "-J", strings.Join(before, ","))
	}
	if tg.User != "" {
		args = append(args, "-l", tg.User)
	}
	if tg.Port != 0 {
		args = append(args, "-p", strconv.Itoa(tg.Port))
	}
	return append(args, tg.Host)
}

// sshTokens are the tokens ssh expands IdentityFile and CertificateFile
// with when it loads them, from the values ssh -G printed.
func sshTokens(g map[string][]string, local Local) tokens {
	t := local.tokens()
	t['h'], t['n'], t['p'], t['r'] = one(g, "hostname"), one(g, "host"), one(g, "port"), one(g, "user")
	t['k'] = cmpOr(one(g, "hostkeyalias"), one(g, "host"))
	t['j'] = ""
	t['C'] = connectionHash(local.Hostname, t['h'], t['p'], t['r'], "")
	return t
}

func expandAll(t *testing.T, paths []string, tok tokens, local Local) []string {
	var out []string
	for _, p := range paths {
		out = append(out, expandWith(t, p, tok, local, true))
	}
	return out
}

func expandWith(t *testing.T, s string, tok tokens, local Local, path bool) string {
	t.Helper()
	var err error
	if path {
		if s, err = tildeExpand(s, local.Home); err != nil {
			t.Fatal(err)
		}
	}
	var env func(string) (string, bool)
	if path {
		env = local.LookupEnv
	}
	s, err = tok.expand(s, env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sshAgent is what IdentityAgent means for drover's Endpoint.
func sshAgent(v string, local Local) string {
	switch {
	case v == "" || v == "SSH_AUTH_SOCK":
		return ""
	case strings.HasPrefix(v, "$") && !strings.HasPrefix(v, "${"):
		if s, ok := local.LookupEnv(v[1:]); ok && s != "" {
			return s
		}
		return "none"
	}
	return v
}

// sshStrict maps ssh -G's spelling (true, false) to ssh_config's.
func sshStrict(v string) string {
	switch v {
	case "true":
		return "yes"
	case "false":
		return "no"
	}
	return v
}

func noneEmpty(v string) string {
	if v == "none" {
		return ""
	}
	return v
}

func cmpInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
