package inventory

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSplitConfigLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		keyword string
		args    []string
		rest    string
		skip    bool
		wantErr string
	}{
		{"space", "  User alice", "user", []string{"alice"}, "alice", false, ""},
		{"equals", "Port=2222", "port", []string{"2222"}, "2222", false, ""},
		{"spaced equals", "Port = 2222", "port", []string{"2222"}, "2222", false, ""},
		{"equals after space", "Port =2222", "port", []string{"2222"}, "2222", false, ""},
		{"tab and case", "\tHOSTNAME\t10.0.0.1 \t", "hostname", []string{"10.0.0.1"}, "10.0.0.1", false, ""},
		{"double quotes", `IdentityFile "~/.ssh/my key"`, "identityfile", []string{"~/.ssh/my key"}, `"~/.ssh/my key"`, false, ""},
		{"single quotes", `CertificateFile '/c d'`, "certificatefile", []string{"/c d"}, `'/c d'`, false, ""},
		{"escaped space", `IdentityFile a\ b`, "identityfile", []string{"a b"}, `a\ b`, false, ""},
		{"comment ends the arguments", "User bob # not bob", "user", []string{"bob"}, "bob # not bob", false, ""},
		{"quoted keyword", `"Host" web`, "host", []string{"web"}, "web", false, ""},
		{"several", "Host a b !c", "host", []string{"a", "b", "!c"}, "a b !c", false, ""},
		{"comment line", "  # Host x", "", nil, "", true, ""},
		{"blank", " \t ", "", nil, "", true, ""},
		{"no argument", "User", "user", nil, "", false, "no argument after keyword User"},
		{"open quote", `User "bob`, "user", nil, `"bob`, false, "invalid quotes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, ok := splitConfigLine(tt.line)
			if ok == tt.skip {
				t.Fatalf("kept = %v, want %v", ok, !tt.skip)
			}
			if tt.skip {
				return
			}
			if tt.wantErr != "" {
				if l.err == nil || l.err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", l.err, tt.wantErr)
				}
				return
			}
			if l.err != nil || l.keyword != tt.keyword || !slices.Equal(l.args, tt.args) || l.rest != tt.rest {
				t.Errorf("got %q %q rest %q err %v, want %q %q rest %q", l.keyword, l.args, l.rest, l.err, tt.keyword, tt.args, tt.rest)
			}
		})
	}
}

func TestMatchPatterns(t *testing.T) {
	tests := []struct {
		name, s, pattern string
		want             int
	}{
		{"star", "web01.example.com", "*.example.com", 1},
		{"question", "web1", "web?", 1},
		{"question needs a character", "web", "web?", 0},
		{"case sensitive", "Web1", "web*", 0},
		{"list", "db2", "web*,db*", 1},
		{"negated wins", "db2", "*,!db2", -1},
		{"negated only", "web1", "!db*", 0},
		{"empty list", "x", "", 0},
		{"trailing comma", "x", "x,", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchPatternList(tt.s, tt.pattern, false); got != tt.want {
				t.Errorf("matchPatternList(%q, %q) = %d, want %d", tt.s, tt.pattern, got, tt.want)
			}
		})
	}
	if !matchHostname("WEB1.Example.com", "web1.EXAMPLE.com") {
		t.Error("match_hostname is case insensitive")
	}
	if matchHostLine("gw", []string{"*", "!gw"}) || !matchHostLine("web", []string{"*", "!gw"}) {
		t.Error("Host * !gw")
	}
}

func TestConvtime(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"90", 90, false}, {"1m30s", 90, false}, {"2M", 120, false}, {"1h", 3600, false},
		{"1w1d", 8 * 86400, false}, {"", 0, true}, {"5x", 0, true}, {"m", 0, true},
	}
	for _, tt := range tests {
		got, err := convtime(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("convtime(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestTokens(t *testing.T) {
	tok := tokens{'h': "web1", 'p': "22"}
	env := func(k string) (string, bool) { return map[string]string{"DIR": "/d"}[k], k == "DIR" }
	tests := []struct {
		in, want, wantErr string
	}{
		{"%h:%p", "web1:22", ""},
		{"100%%", "100%", ""},
		{"${DIR}/%h", "/d/web1", ""},
		{"%x", "", "unknown token %x"},
		{"50%", "", "lone %"},
		{"${NOPE}", "", "NOPE"},
	}
	for _, tt := range tests {
		got, err := tok.expand(tt.in, env)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("expand(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// lookupText evaluates text as the user's file for host.
func lookupText(t *testing.T, text string, q sshQuery) (*sshEval, error) {
	t.Helper()
	c, err := ParseSSHConfig("cfg", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c.lookup(q, Local{User: "me", Home: "/home/me", Hostname: "ctl.example.org"})
}

func TestSSHConfigEvaluation(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		q         sshQuery
		key, want string
		wantErr   string
	}{
		{"first value wins", "Host *\n User a\nHost web\n User b\n", sshQuery{host: "web"}, "user", "a", ""},
		{"preset user wins like -l", "Host *\n User a\n", sshQuery{host: "web", user: choice{"x", OriginFlag}}, "user", "x", ""},
		{"Match user sees the preset", "Match user x\n Port 2\n", sshQuery{host: "w", user: choice{"x", OriginFlag}}, "port", "2", ""},
		{"Match user sees User set before", "User y\nMatch user y\n Port 3\n", sshQuery{host: "w"}, "port", "3", ""},
		{"Match host sees HostName so far", "HostName %h.lan\nMatch host w.lan\n Port 4\n", sshQuery{host: "w"}, "port", "4", ""},
		{"Match originalhost sees the argument", "HostName other\nMatch originalhost w\n Port 5\n", sshQuery{host: "w"}, "port", "5", ""},
		{"criteria are ANDed", "Match host w user nobody\n Port 6\n", sshQuery{host: "w"}, "port", "", ""},
		{"key=value criteria", "Match host=w\n Port 7\n", sshQuery{host: "w"}, "port", "7", ""},
		{"Match final applies in the final pass", "Match final\n Port 8\n", sshQuery{host: "w"}, "port", "8", ""},
		{"Match all", "Match all\n Port 9\n", sshQuery{host: "w"}, "port", "9", ""},
		{"final pass keeps the expanded name", "HostName 100%%.Example\nMatch final host 100%.example\n Port 15\n", sshQuery{host: "w"}, "port", "15", ""},
		{"all with another criterion", "Match all host w\n Port 9\n", sshQuery{host: "w"}, "", "", "cannot be combined"},
		{"criterion without argument", "Match host\n Port 9\n", sshQuery{host: "w"}, "", "", "missing Match criteria for host"},
		{"unsupported criterion", "Match version OpenSSH*\n", sshQuery{host: "w"}, "", "", "unsupported Match attribute version"},
		{"Match exec true", "Match exec true\n Port 10\n", sshQuery{host: "w"}, "port", "10", ""},
		{"Match exec with tokens", "Match exec \"test %h = w -a %r = me\"\n Port 11\n", sshQuery{host: "w"}, "port", "11", ""},
		{"exec skipped after a failed criterion", "Match host nope exec \"exit 200\"\n Port 12\n", sshQuery{host: "w"}, "port", "", ""},
		{"localuser", "Match localuser me\n Port 13\n", sshQuery{host: "w"}, "port", "13", ""},
		{"localnetwork loopback", "Match localnetwork 127.0.0.0/8\n Port 14\n", sshQuery{host: "w"}, "port", "14", ""},
		{"localnetwork elsewhere", "Match localnetwork 240.0.0.0/8\n Port 14\n", sshQuery{host: "w"}, "port", "", ""},
		{"bad port anywhere", "Host other\n Port 0\n", sshQuery{host: "w"}, "", "", "cfg line 2: bad port"},
		{"service name port", "Port ssh\n", sshQuery{host: "w"}, "port", "22", ""},
		{"unknown keyword", "Host w\n Colour blue\n", sshQuery{host: "w"}, "", "", `bad configuration option "colour"`},
		{"IgnoreUnknown", "IgnoreUnknown Colour,UseKeychain\nColour blue\n", sshQuery{host: "w"}, "", "", ""},
		{"extra argument", "User a b\n", sshQuery{host: "w"}, "", "", "extra arguments"},
		{"bad yes/no", "HashKnownHosts maybe\n", sshQuery{host: "w"}, "", "", "unsupported option"},
		{"time none leaves it unset", "ConnectTimeout none\nConnectTimeout 5\n", sshQuery{host: "w"}, "connecttimeout", "5", ""},
		{"ProxyCommand blocks ProxyJump", "ProxyCommand nc %h %p\nProxyJump gw\n", sshQuery{host: "w"}, "proxyjump", "", ""},
		{"ProxyJump blocks ProxyCommand", "ProxyJump gw\nProxyCommand nc %h %p\n", sshQuery{host: "w"}, "proxycommand", "none", ""},
		{"preset jump like -J", "ProxyJump gw\n", sshQuery{host: "w", jump: choice{"a,b", OriginHost}}, "proxyjump", "a,b", ""},
		{"bad jump", "ProxyJump a:b:c@\n", sshQuery{host: "w"}, "", "", "invalid ProxyJump"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := lookupText(t, tt.text, tt.q)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := e.o.scalar[tt.key].val; tt.key != "" && got != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestSSHConfigIncludes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("b.conf", "User fromb\nHost other\n", 0o644)
	write("a.conf", "Port 2001\n", 0o644)
	write("loop.conf", "Include "+filepath.Join(dir, "loop.conf")+"\n", 0o644)
	write("open.conf", "User open\n", 0o666)
	tests := []struct {
		name, main, key, want, origin, wantErr string
	}{
		{"glob in lexical order, included files named as themselves", "Include " + dir + "/?.conf\nPort 9\n", "port", "2001", filepath.Join(dir, "a.conf") + ":1", ""},
		{"an included Host does not end the includer's block", "Host w\n Include " + dir + "/b.conf\n IdentitiesOnly yes\n", "identitiesonly", "yes", "", ""},
		{"Include in a block that does not apply", "Host nope\n Include " + dir + "/b.conf\n", "user", "", "", ""},
		{"no match is nothing", "Include " + dir + "/none-*.conf\n", "user", "", "", ""},
		{"nested too deep", "Include " + dir + "/loop.conf\n", "", "", "", "too many recursive"},
		{"included file writable by others", "Include " + dir + "/open.conf\n", "", "", "", "bad owner or permissions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			main := write("main", tt.main, 0o644)
			c, err := LoadSSHConfigFile(main)
			if err != nil {
				t.Fatal(err)
			}
			e, err := c.lookup(sshQuery{host: "w"}, Local{User: "me", Home: dir})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := e.o.scalar[tt.key]
			if got.val != tt.want || (tt.origin != "" && got.origin != "ssh_config "+tt.origin) {
				t.Errorf("%s = %q from %q, want %q from %q", tt.key, got.val, got.origin, tt.want, tt.origin)
			}
		})
	}
}

func TestSSHConfigSystemFileAfterUserFile(t *testing.T) {
	dir := t.TempDir()
	userFile, sysFile := filepath.Join(dir, "config"), filepath.Join(dir, "ssh_config")
	if err := os.WriteFile(userFile, []byte("Host w\n User mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sysFile, []byte("Host *\n User system\n Port 2200\n Include ssh_config.d/*.conf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadSSHConfig(userFile, sysFile)
	if err != nil {
		t.Fatal(err)
	}
	h := resolveOne(t, nil, "w", Flags{}, Local{User: "me", Home: dir, SSHConfig: c})
	if h.Endpoint.User != "mine" || h.Endpoint.Port != 2200 || h.Origin[SettingPort] != "ssh_config "+sysFile+":3" {
		t.Errorf("user %q port %d from %q, want mine, 2200 from the system file", h.Endpoint.User, h.Endpoint.Port, h.Origin[SettingPort])
	}
}
