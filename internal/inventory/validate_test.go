package inventory

import (
	"errors"
	"slices"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		inv  *Inventory
		want []string
	}{
		{"nil inventory", nil, nil},
		{"design example is valid", farm(), nil},
		{
			name: "unknown group with suggestion",
			inv: &Inventory{
				File:     "inv.toml",
				Groups:   map[string][]string{"web": {"w1"}, "app": {"@wbe", "@nothing_like_it"}},
				GroupPos: map[string]Position{"web": {Line: 2, Col: 1}, "app": {Line: 3, Col: 1}},
			},
			want: []string{
				`inv.toml:3:1: group app: unknown group "@nothing_like_it"`,
				`inv.toml:3:1: group app: unknown group "@wbe": did you mean "@web"?`,
			},
		},
		{
			name: "cycles reported once each",
			inv: &Inventory{
				File:     "inv.toml",
				Groups:   map[string][]string{"a": {"@b"}, "b": {"@c"}, "c": {"@a"}, "self": {"@self"}, "d": {"@a"}},
				GroupPos: map[string]Position{"a": {Line: 1}, "b": {Line: 2}, "c": {Line: 3}, "self": {Line: 4}, "d": {Line: 5}},
			},
			want: []string{
				"inv.toml:1: group cycle: @a -> @b -> @c -> @a",
				"inv.toml:4: group cycle: @self -> @self",
			},
		},
		{
			name: "malformed ranges and targets",
			inv: &Inventory{
				File:     "inv.toml",
				Groups:   map[string][]string{"web": {"web[01:", "ok[1:2]", "u@h:0"}, "bad name": {}},
				GroupPos: map[string]Position{"web": {Line: 7, Col: 1}, "bad name": {Line: 8, Col: 1}},
			},
			want: []string{
				`inv.toml:7:1: group web: host pattern "u@h:0": bad port "0": want a number from 1 to 65535`,
				`inv.toml:7:1: group web: host pattern "web[01:": '[' without ']'`,
				`inv.toml:8:1: group "bad name": a group name may not be empty or hold '@', ',', '[', ']' or spaces`,
			},
		},
		{
			name: "ports, jumps, defaults hostname",
			inv: &Inventory{
				File:        "inv.toml",
				Defaults:    Settings{HostName: "one.example.com", Port: 70000, Jump: "gw:x"},
				DefaultsPos: Position{Line: 1, Col: 1},
				Hosts: map[string]HostEntry{
					"web1": {Settings: Settings{Port: -1, Jump: "none"}, Pos: Position{Line: 9, Col: 1}},
				},
			},
			want: []string{
				`inv.toml:1:1: defaults: bad port 70000: want a number from 1 to 65535`,
				`inv.toml:1:1: defaults: hostname would send every host to "one.example.com"; set it per host in [hosts]`,
				`inv.toml:1:1: defaults: jump: target "gw:x": bad port "x": want a number from 1 to 65535`,
				`inv.toml:9:1: hosts."web1": bad port -1: want a number from 1 to 65535`,
			},
		},
		{
			name: "hosts defined twice and bad keys",
			inv: &Inventory{
				File: "inv.toml",
				Hosts: map[string]HostEntry{
					"web[1:3]":   {Pos: Position{Line: 1}},
					"web2":       {Pos: Position{Line: 5}},
					"web[3:2]":   {Pos: Position{Line: 6}},
					"root@db1":   {Pos: Position{Line: 7}},
					"db2:2222":   {Pos: Position{Line: 8}},
					"db[1:2]:22": {Pos: Position{Line: 9}},
				},
			},
			want: []string{
				`inv.toml:5: hosts."web2": host web2 is already set by hosts."web[1:3]"`,
				`inv.toml:6: hosts."web[3:2]": host pattern "web[3:2]": range [3:2]: start 3 is after end 2`,
				`inv.toml:7: hosts."root@db1": name a host only; set user and port as keys of the table`,
				`inv.toml:8: hosts."db2:2222": name a host only; set user and port as keys of the table`,
				`inv.toml:9: hosts."db[1:2]:22": name a host only; set user and port as keys of the table`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := Validate(tt.inv)
			var got []string
			for _, err := range errs {
				var pe *PosError
				if !errors.As(err, &pe) {
					t.Errorf("error %q is not a *PosError", err)
				}
				got = append(got, err.Error())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
