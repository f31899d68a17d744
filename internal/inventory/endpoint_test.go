package inventory

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/transport"
)

// sshConfig parses text as the ssh_config file "cfg".
func sshConfig(t *testing.T, text string) *SSHConfig {
	t.Helper()
	c, err := ParseSSHConfig("cfg", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// resolveOne resolves the single host name with everything given.
func resolveOne(t *testing.T, inv *Inventory, target string, fl Flags, local Local) Host {
	t.Helper()
	hosts, err := inv.Resolve(Selector{Hosts: []string{target}}, fl, local, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(hosts) != 1 {
		t.Fatalf("got %d hosts, want 1", len(hosts))
	}
	return hosts[0]
}

// setting reads one setting of a host as text.
func setting(h Host, key string) string {
	ep := h.Endpoint
	switch key {
	case SettingHost:
		return ep.Host
	case SettingUser:
		return ep.User
	case SettingPort:
		return strconv.Itoa(ep.Port)
	case SettingIdentity:
		return strings.Join(ep.Identities, " ")
	case SettingKnownHosts:
		return strings.Join(ep.KnownHosts, " ")
	case SettingJump:
		var hops []string
		for _, j := range ep.Jump {
			hops = append(hops, j.User+"@"+j.Addr())
		}
		return strings.Join(hops, ",")
	}
	panic(key)
}

const fullSSHConfig = `
Host web1
  HostName 10.0.0.1
  User sshuser
  Port 2022
  IdentityFile ~/.ssh/web_key
  IdentityFile ~/.ssh/other_key
  UserKnownHostsFile ~/.ssh/kh_web /etc/kh_shared
  ProxyJump bastion
`

func TestResolvePrecedence(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"id_ed25519", "id_ecdsa"} {
		if err := os.WriteFile(filepath.Join(home, ".ssh", f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := func(p string) string { return filepath.Join(home, p) }
	full := Settings{HostName: "10.9.9.9", User: "hostuser", Port: 2200, Identity: "~/host_key", KnownHosts: "~/host_kh", Jump: "hostjump"}
	defs := Settings{User: "defuser", Port: 2300, Identity: "/def_key", KnownHosts: "/def_kh", Jump: "defjump"}
	flags := Flags{User: "flaguser", Port: 2400, Identity: "/flag_key", KnownHosts: "/flag_kh"}

	tests := []struct {
		name       string
		target     string
		flags      Flags
		host       Settings
		defaults   Settings
		sshConfig  string
		key        string
		want       string
		wantOrigin string
	}{
		{"host: inventory host", "web1", Flags{}, full, defs, fullSSHConfig, SettingHost, "10.9.9.9", OriginHost},
		{"host: ssh_config", "web1", Flags{}, Settings{}, defs, fullSSHConfig, SettingHost, "10.0.0.1", "ssh_config cfg:3"},
		{"host: default is the name", "web1", Flags{}, Settings{}, defs, "", SettingHost, "web1", OriginDefault},
		{"host: ssh_config %h", "web1", Flags{}, Settings{}, Settings{}, "Host web*\n  HostName %h.example.com\n", SettingHost, "web1.example.com", "ssh_config cfg:2"},

		{"user: flag", "carol@web1", flags, full, defs, fullSSHConfig, SettingUser, "flaguser", OriginFlag},
		{"user: target", "carol@web1", Flags{}, full, defs, fullSSHConfig, SettingUser, "carol", OriginTarget},
		{"user: inventory host", "web1", Flags{}, full, defs, fullSSHConfig, SettingUser, "hostuser", OriginHost},
		{"user: inventory defaults", "web1", Flags{}, Settings{}, defs, fullSSHConfig, SettingUser, "defuser", OriginDefaults},
		{"user: ssh_config", "web1", Flags{}, Settings{}, Settings{}, fullSSHConfig, SettingUser, "sshuser", "ssh_config cfg:4"},
		{"user: default local user", "web1", Flags{}, Settings{}, Settings{}, "", SettingUser, "me", OriginDefault},

		{"port: flag", "web1:2500", flags, full, defs, fullSSHConfig, SettingPort, "2400", OriginFlag},
		{"port: target", "web1:2500", Flags{}, full, defs, fullSSHConfig, SettingPort, "2500", OriginTarget},
		{"port: inventory host", "web1", Flags{}, full, defs, fullSSHConfig, SettingPort, "2200", OriginHost},
		{"port: inventory defaults", "web1", Flags{}, Settings{}, defs, fullSSHConfig, SettingPort, "2300", OriginDefaults},
		{"port: ssh_config", "web1", Flags{}, Settings{}, Settings{}, fullSSHConfig, SettingPort, "2022", "ssh_config cfg:5"},
		{"port: default", "web1", Flags{}, Settings{}, Settings{}, "", SettingPort, "22", OriginDefault},

		{"identity: flag", "web1", flags, full, defs, fullSSHConfig, SettingIdentity, "/flag_key", OriginFlag},
		{"identity: inventory host, ~ expanded", "web1", Flags{}, full, defs, fullSSHConfig, SettingIdentity, h("host_key"), OriginHost},
		{"identity: inventory defaults", "web1", Flags{}, Settings{}, defs, fullSSHConfig, SettingIdentity, "/def_key", OriginDefaults},
		{"identity: every ssh_config IdentityFile", "web1", Flags{}, Settings{}, Settings{}, fullSSHConfig, SettingIdentity, h(".ssh/web_key") + " " + h(".ssh/other_key"), "ssh_config cfg:6, cfg:7"},
		{"identity: default files that exist", "web1", Flags{}, Settings{}, Settings{}, "", SettingIdentity, h(".ssh/id_ecdsa") + " " + h(".ssh/id_ed25519"), OriginDefault},
		{"identity: ssh_config tokens", "web1", Flags{}, Settings{}, Settings{}, "Host *\n  IdentityFile %d/keys/%r@%h\n", SettingIdentity, h("keys/me@web1"), "ssh_config cfg:2"},

		{"known_hosts: flag", "web1", flags, full, defs, fullSSHConfig, SettingKnownHosts, "/flag_kh", OriginFlag},
		{"known_hosts: inventory host", "web1", Flags{}, full, defs, fullSSHConfig, SettingKnownHosts, h("host_kh"), OriginHost},
		{"known_hosts: inventory defaults", "web1", Flags{}, Settings{}, defs, fullSSHConfig, SettingKnownHosts, "/def_kh", OriginDefaults},
		{"known_hosts: ssh_config list", "web1", Flags{}, Settings{}, Settings{}, fullSSHConfig, SettingKnownHosts, h(".ssh/kh_web") + " /etc/kh_shared", "ssh_config cfg:8"},
		{"known_hosts: default", "web1", Flags{}, Settings{}, Settings{}, "", SettingKnownHosts, h(".ssh/known_hosts") + " " + h(".ssh/known_hosts2"), OriginDefault},

		{"jump: inventory host", "web1", flags, full, defs, fullSSHConfig, SettingJump, "me@hostjump:22", OriginHost},
		{"jump: inventory defaults", "web1", Flags{}, Settings{}, defs, fullSSHConfig, SettingJump, "me@defjump:22", OriginDefaults},
		{"jump: ssh_config", "web1", Flags{}, Settings{}, Settings{}, fullSSHConfig, SettingJump, "me@bastion:22", "ssh_config cfg:9"},
		{"jump: none in inventory beats ssh_config", "web1", Flags{}, Settings{Jump: "none"}, Settings{}, fullSSHConfig, SettingJump, "", OriginHost},
		{"jump: default none", "web1", Flags{}, Settings{}, Settings{}, "", SettingJump, "", OriginDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &Inventory{Defaults: tt.defaults, Hosts: map[string]HostEntry{"web1": {Settings: tt.host}}}
			local := Local{User: "me", Home: home, SSHConfig: sshConfig(t, tt.sshConfig)}
			got := resolveOne(t, inv, tt.target, tt.flags, local)
			if v := setting(got, tt.key); v != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, v, tt.want)
			}
			if o := got.Origin[tt.key]; o != tt.wantOrigin {
				t.Errorf("origin of %s = %q, want %q", tt.key, o, tt.wantOrigin)
			}
		})
	}
}

func TestResolveHost(t *testing.T) {
	inv := farm()
	hosts, err := inv.Resolve(Selector{Groups: []string{"canary"}, Hosts: []string{"webserv03"}}, Flags{}, Local{User: "me"}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Host{
		{Name: "webserv01", Endpoint: transport.Endpoint{Name: "webserv01", Host: "webserv01", Port: 22, User: "deploy", KnownHosts: []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2"}}},
		{Name: "webserv03", Endpoint: transport.Endpoint{Name: "webserv03", Host: "webserv03", Port: 2222, User: "deploy", KnownHosts: []string{"~/.ssh/known_hosts", "~/.ssh/known_hosts2"}}, Vars: map[string]string{"dc": "ams"}},
	}
	for i, h := range hosts {
		w := want[i]
		if h.Name != w.Name || h.Endpoint.Addr() != w.Endpoint.Addr() || h.Endpoint.User != w.Endpoint.User ||
			!slices.Equal(h.Endpoint.KnownHosts, w.Endpoint.KnownHosts) || h.Vars["dc"] != w.Vars["dc"] || len(h.Origin) != 17 {
			t.Errorf("host %d = %+v, want %+v", i, h, w)
		}
	}
	hosts[1].Vars["dc"] = "changed"
	if inv.Hosts["webserv03"].Vars["dc"] != "ams" {
		t.Error("Host.Vars shares its map with the inventory")
	}
}

func TestResolveRangeEntry(t *testing.T) {
	inv := &Inventory{
		Groups: map[string][]string{"web": {"web[1:3]"}},
		Hosts:  map[string]HostEntry{"web[2:3]": {Settings: Settings{Port: 2022}}},
	}
	hosts, err := inv.Resolve(Selector{Groups: []string{"web"}}, Flags{}, Local{User: "me"}, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, h := range hosts {
		got = append(got, h.Endpoint.Port)
	}
	if want := []int{22, 2022, 2022}; !slices.Equal(got, want) {
		t.Errorf("ports = %v, want %v", got, want)
	}
}

func TestResolveBadSSHConfigPort(t *testing.T) {
	local := Local{User: "me", SSHConfig: sshConfig(t, "Host web1\n  Port 70000\n")}
	_, err := (*Inventory)(nil).Resolve(Selector{Hosts: []string{"web1"}}, Flags{}, local, "")
	if err == nil || !strings.Contains(err.Error(), `ssh_config cfg line 2: bad port "70000"`) {
		t.Errorf("error = %v, want the bad ssh_config port with its line", err)
	}
}

func TestResolveRelativePaths(t *testing.T) {
	tests := []struct {
		name      string
		flags     Flags
		defaults  Settings
		wantID    string
		wantKnown string
	}{
		{"inventory paths are relative to the inventory file", Flags{}, Settings{Identity: "keys/deploy", KnownHosts: "kh"}, "/etc/drover/keys/deploy", "/etc/drover/kh"},
		{"flag paths are left as given", Flags{Identity: "keys/me", KnownHosts: "kh"}, Settings{}, "keys/me", "kh"},
		{"tilde without a home is left as written", Flags{}, Settings{Identity: "~/k"}, "~/k", "~/.ssh/known_hosts ~/.ssh/known_hosts2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &Inventory{File: "/etc/drover/inventory.toml", Defaults: tt.defaults}
			h := resolveOne(t, inv, "web1", tt.flags, Local{User: "me"})
			if got := setting(h, SettingIdentity); got != tt.wantID {
				t.Errorf("identity = %q, want %q", got, tt.wantID)
			}
			if got := setting(h, SettingKnownHosts); got != tt.wantKnown {
				t.Errorf("known_hosts = %q, want %q", got, tt.wantKnown)
			}
		})
	}
}

func TestResolveLayersAsSSHCommandLine(t *testing.T) {
	const cfg = `
Match user deploy
  IdentitiesOnly yes
Match host 10.0.0.9
  HostKeyAlias web-alias
Host web1
  ProxyCommand nc %h %p
  User ignored
`
	tests := []struct {
		name  string
		inv   *Inventory
		flags Flags
		check func(Host) bool
	}{
		{"an inventory user is ssh -l for Match user", &Inventory{Defaults: Settings{User: "deploy"}}, Flags{},
			func(h Host) bool { return h.Endpoint.IdentitiesOnly && h.Endpoint.User == "deploy" }},
		{"a flag user too", nil, Flags{User: "deploy"},
			func(h Host) bool { return h.Endpoint.IdentitiesOnly && h.Origin[SettingUser] == OriginFlag }},
		{"an inventory hostname is what Match host sees", &Inventory{Hosts: map[string]HostEntry{"web1": {Settings: Settings{HostName: "10.0.0.9"}}}}, Flags{},
			func(h Host) bool {
				return h.Endpoint.HostKeyAlias == "web-alias" && h.Endpoint.ProxyCommand == "nc 10.0.0.9 22"
			}},
		{"an inventory jump is ssh -J: ssh_config's ProxyCommand does not apply", &Inventory{Defaults: Settings{Jump: "gw"}}, Flags{},
			func(h Host) bool { return h.Endpoint.ProxyCommand == "" && len(h.Endpoint.Jump) == 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := resolveOne(t, tt.inv, "web1", tt.flags, Local{User: "me", SSHConfig: sshConfig(t, cfg)})
			if !tt.check(h) {
				t.Errorf("endpoint %+v, origins %v", h.Endpoint, h.Origin)
			}
		})
	}
}
