package inventory

import (
	"slices"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/transport"
)

func TestResolveJumpChain(t *testing.T) {
	const cfg = `
Host bastion
  HostName 192.0.2.1
  User jumper
  Port 2201
  IdentityFile /keys/bastion
Host inner
  ProxyJump outer
  UserKnownHostsFile /kh/inner
Host outer
  HostName 192.0.2.9
Host loop1
  ProxyJump loop2
Host loop2
  ProxyJump loop1
Host viaconfig
  ProxyJump bastion,inner
Host proxied
  ProxyCommand nc %h %p
`
	tests := []struct {
		name    string
		inv     *Inventory
		target  string
		want    []transport.Endpoint
		wantErr string
	}{
		{
			name:   "hop resolved through ssh_config",
			inv:    &Inventory{Defaults: Settings{Jump: "bastion"}},
			target: "web1",
			want: []transport.Endpoint{
				{Name: "bastion", Host: "192.0.2.1", User: "jumper", Port: 2201, Identities: []string{"/keys/bastion"}, KnownHosts: []string{"/kh/target"}},
			},
		},
		{
			name:   "chain, literal hop, target's files",
			inv:    &Inventory{Defaults: Settings{Jump: "ssh://ops@gw:2200,bastion"}},
			target: "web1",
			want: []transport.Endpoint{
				{Name: "gw", Host: "gw", User: "ops", Port: 2200, Identities: []string{"/keys/target"}, KnownHosts: []string{"/kh/target"}},
				{Name: "bastion", Host: "192.0.2.1", User: "jumper", Port: 2201, Identities: []string{"/keys/bastion"}, KnownHosts: []string{"/kh/target"}},
			},
		},
		{
			name: "an inventory host as hop gets the defaults but not their jump",
			inv: &Inventory{
				Defaults: Settings{User: "deploy", Jump: "web01"},
				Hosts:    map[string]HostEntry{"web01": {Settings: Settings{HostName: "127.0.11.1"}}},
			},
			target: "web2",
			want: []transport.Endpoint{
				{Name: "web01", Host: "127.0.11.1", User: "deploy", Port: 22, Identities: []string{"/keys/target"}, KnownHosts: []string{"/kh/target"}},
			},
		},
		{
			name:   "hop with its own ProxyJump comes after it",
			inv:    &Inventory{Defaults: Settings{Jump: "inner"}},
			target: "web1",
			want: []transport.Endpoint{
				{Name: "outer", Host: "192.0.2.9", User: "me", Port: 22, Identities: []string{"/keys/target"}, KnownHosts: []string{"/kh/target"}},
				{Name: "inner", Host: "inner", User: "me", Port: 22, Identities: []string{"/keys/target"}, KnownHosts: []string{"/kh/inner"}},
			},
		},
		{
			// ssh reaches inner with "ssh -J bastion inner": the -J
			// wins over inner's own ProxyJump.
			name:   "ProxyJump chain of the target in ssh_config, later hops behind the earlier ones",
			inv:    nil,
			target: "viaconfig",
			want: []transport.Endpoint{
				{Name: "bastion", Host: "192.0.2.1", User: "jumper", Port: 2201, Identities: []string{"/keys/bastion"}, KnownHosts: []string{"/kh/target"}},
				{Name: "inner", Host: "inner", User: "me", Port: 22, Identities: []string{"/keys/target"}, KnownHosts: []string{"/kh/inner"}},
			},
		},
		{
			name:   "a jump host's ProxyCommand",
			inv:    &Inventory{Defaults: Settings{Jump: "proxied"}},
			target: "web1",
			want: []transport.Endpoint{
				{Name: "proxied", Host: "proxied", User: "me", Port: 22, Identities: []string{"/keys/target"}, KnownHosts: []string{"/kh/target"}, ProxyCommand: "nc proxied 22"},
			},
		},
		{
			name:   "bracketed address with a port",
			inv:    &Inventory{Defaults: Settings{Jump: "ops@[::1]:2200"}},
			target: "web1",
			want: []transport.Endpoint{
				{Name: "::1", Host: "::1", User: "ops", Port: 2200, Identities: []string{"/keys/target"}, KnownHosts: []string{"/kh/target"}},
			},
		},
		{
			name: "hop that is an inventory host uses its entry",
			inv: &Inventory{
				Defaults: Settings{Jump: "gw"},
				Hosts:    map[string]HostEntry{"gw": {Settings: Settings{HostName: "10.1.1.1", User: "gwuser", Port: 2022}}},
			},
			target: "web1",
			want: []transport.Endpoint{
				{Name: "gw", Host: "10.1.1.1", User: "gwuser", Port: 2022, Identities: []string{"/keys/target"}, KnownHosts: []string{"/kh/target"}},
			},
		},
		{
			name:    "loop in ssh_config",
			inv:     &Inventory{Defaults: Settings{Jump: "loop1"}},
			target:  "web1",
			wantErr: "jump chain longer than 8 hops or a loop",
		},
		{
			name:    "bad hop",
			inv:     &Inventory{Defaults: Settings{Jump: "gw:notaport"}},
			target:  "web1",
			wantErr: `host web1: jump "gw:notaport" from inventory defaults: jump host "gw:notaport": bad port "notaport"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			local := Local{User: "me", Home: "/home/me", SSHConfig: sshConfig(t, cfg)}
			fl := Flags{Identity: "/keys/target", KnownHosts: "/kh/target"}
			hosts, err := tt.inv.Resolve(Selector{Hosts: []string{tt.target}}, fl, local, "")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := hosts[0].Endpoint.Jump
			if !slices.EqualFunc(got, tt.want, endpointEqual) {
				t.Errorf("jump chain =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func endpointEqual(a, b transport.Endpoint) bool {
	return a.Name == b.Name && a.Host == b.Host && a.User == b.User && a.Port == b.Port &&
		slices.Equal(a.Identities, b.Identities) && slices.Equal(a.KnownHosts, b.KnownHosts) && a.ProxyCommand == b.ProxyCommand &&
		slices.EqualFunc(a.Jump, b.Jump, endpointEqual)
}

func TestLoadSSHConfigMissing(t *testing.T) {
	dir := t.TempDir()
	c, err := LoadSSHConfig(dir+"/nope", dir+"/nope2")
	if err != nil {
		t.Fatal(err)
	}
	h := resolveOne(t, nil, "web1", Flags{}, Local{User: "me", SSHConfig: c})
	if h.Endpoint.User != "me" || h.Origin[SettingUser] != OriginDefault {
		t.Errorf("missing files gave user %q from %q", h.Endpoint.User, h.Origin[SettingUser])
	}
	if _, err := LoadSSHConfigFile(dir + "/nope"); err == nil {
		t.Error("a missing -F file is not an error")
	}
}
