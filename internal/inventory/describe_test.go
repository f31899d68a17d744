package inventory

import (
	"slices"
	"testing"
)

func TestHostRows(t *testing.T) {
	local := Local{User: "me", SSHConfig: sshConfig(t, "Host gw\n  User ops\n")}
	inv := &Inventory{Defaults: Settings{Jump: "gw,root@gw2:2022", Identity: "/k"}}
	h := resolveOne(t, inv, "web1", Flags{User: "deploy"}, local)
	want := []SettingRow{
		{SettingHost, "web1", OriginDefault},
		{SettingUser, "deploy", OriginFlag},
		{SettingPort, "22", OriginDefault},
		{SettingIdentity, "/k", OriginDefaults},
		{SettingKnownHosts, "~/.ssh/known_hosts", OriginDefault},
		{SettingJump, "ops@gw:22,root@gw2:2022", OriginDefaults},
	}
	if got := h.Rows(); !slices.Equal(got, want) {
		t.Errorf("Rows =\n%q\nwant\n%q", got, want)
	}
}
