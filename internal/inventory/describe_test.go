package inventory

import (
	"testing"
	"time"
)

func TestHostRows(t *testing.T) {
	local := Local{User: "me", SSHConfig: sshConfig(t, "Host gw\n  User ops\nHost web1\n  ConnectTimeout 1m\n  HashKnownHosts yes\n")}
	inv := &Inventory{Defaults: Settings{Jump: "gw,root@gw2:2022", Identity: "/k"}}
	h := resolveOne(t, inv, "web1", Flags{User: "deploy"}, local)
	want := map[string]SettingRow{
		SettingHost:                {SettingHost, "web1", OriginDefault},
		SettingUser:                {SettingUser, "deploy", OriginFlag},
		SettingPort:                {SettingPort, "22", OriginDefault},
		SettingIdentity:            {SettingIdentity, "/k", OriginDefaults},
		SettingKnownHosts:          {SettingKnownHosts, "~/.ssh/known_hosts, ~/.ssh/known_hosts2", OriginDefault},
		SettingHashKnownHosts:      {SettingHashKnownHosts, "yes", "ssh_config cfg:5"},
		SettingJump:                {SettingJump, "ops@gw:22,root@gw2:2022", OriginDefaults},
		SettingPath:                {SettingPath, "ops@gw:22 > root@gw2:2022 > deploy@web1:22", OriginDefaults},
		SettingProxyCommand:        {SettingProxyCommand, "", OriginDefault},
		SettingConnectTimeout:      {SettingConnectTimeout, "1m0s", "ssh_config cfg:4"},
		SettingServerAliveCountMax: {SettingServerAliveCountMax, "", OriginDefault},
	}
	rows := h.Rows()
	if len(rows) != 18 {
		t.Errorf("got %d rows, want 18", len(rows))
	}
	for _, r := range rows {
		if w, ok := want[r.Key]; ok && r != w {
			t.Errorf("row %s = %q, want %q", r.Key, r, w)
		}
	}
}

// TestTimeoutFlag: --timeout given on the command line beats ssh_config's
// ConnectTimeout, as every other flag beats ssh_config.
func TestTimeoutFlag(t *testing.T) {
	local := Local{User: "me", SSHConfig: sshConfig(t, "Host web1\n  ConnectTimeout 60\n")}
	h := resolveOne(t, nil, "web1", Flags{ConnectTimeout: 3 * time.Second}, local)
	if h.Endpoint.ConnectTimeout != 3*time.Second || h.Origin[SettingConnectTimeout] != OriginFlag {
		t.Errorf("connect timeout %v from %q, want 3s from the flag", h.Endpoint.ConnectTimeout, h.Origin[SettingConnectTimeout])
	}
	h = resolveOne(t, nil, "web1", Flags{}, local)
	if h.Endpoint.ConnectTimeout != time.Minute {
		t.Errorf("without the flag: connect timeout %v, want ssh_config's 1m", h.Endpoint.ConnectTimeout)
	}
}

func TestPathString(t *testing.T) {
	local := Local{User: "me", SSHConfig: sshConfig(t, "Host p\n  ProxyCommand socat - TCP:%h:%p\nHost viap\n  ProxyJump p\n")}
	tests := []struct{ target, want string }{
		{"web1", "direct"},
		{"p", "proxy command socat - TCP:p:22"},
		{"viap", "proxy command socat - TCP:p:22 > me@p:22 > me@viap:22"},
	}
	for _, tt := range tests {
		h := resolveOne(t, nil, tt.target, Flags{}, local)
		if got := PathString(h.Endpoint); got != tt.want {
			t.Errorf("path of %s = %q, want %q", tt.target, got, tt.want)
		}
	}
}
