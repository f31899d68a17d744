package inventory

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// farm is the inventory of DESIGN §3, plus a few groups for the tests.
func farm() *Inventory {
	return &Inventory{
		File:     "inventory.toml",
		Defaults: Settings{User: "deploy"},
		Groups: map[string][]string{
			"web":    {"webserv[01:04]"},
			"canary": {"webserv01"},
			"db":     {"db1", "db2"},
			"app":    {"@web", "@db"},
			"both":   {"@app", "@web", "db1"},
			"empty":  {},
		},
		GroupPos: map[string]Position{
			"web": {Line: 10}, "canary": {Line: 11}, "db": {Line: 12},
			"app": {Line: 13}, "both": {Line: 14}, "empty": {Line: 15},
		},
		Hosts: map[string]HostEntry{
			"webserv03": {Settings: Settings{Port: 2222}, Vars: map[string]string{"dc": "ams"}, Pos: Position{Line: 20}},
			"lonely":    {Pos: Position{Line: 22}},
		},
	}
}

func names(ts []Target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Host
	}
	return out
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name         string
		sel          Selector
		defaultGroup string
		want         []string
	}{
		{"one group", Selector{Groups: []string{"db"}}, "", []string{"db1", "db2"}},
		{"at prefix accepted", Selector{Groups: []string{"@db"}}, "", []string{"db1", "db2"}},
		{"groups of groups", Selector{Groups: []string{"app"}}, "", []string{"webserv01", "webserv02", "webserv03", "webserv04", "db1", "db2"}},
		{"duplicates are one host", Selector{Groups: []string{"both", "canary"}}, "", []string{"webserv01", "webserv02", "webserv03", "webserv04", "db1", "db2"}},
		{"inventory order, not flag order", Selector{Groups: []string{"db,canary"}}, "", []string{"webserv01", "db1", "db2"}},
		{"hosts in inventory sorted by it", Selector{Hosts: []string{"db2,webserv02"}}, "", []string{"webserv02", "db2"}},
		{"unknown hosts after, as given", Selector{Hosts: []string{"zz9,db1,aa1"}}, "", []string{"db1", "zz9", "aa1"}},
		{"group in -H", Selector{Hosts: []string{"@db,webserv04"}}, "", []string{"webserv04", "db1", "db2"}},
		{"host ranges", Selector{Hosts: []string{"node[1:3]"}}, "", []string{"node1", "node2", "node3"}},
		{"all group", Selector{Groups: []string{"all"}}, "", []string{"webserv01", "webserv02", "webserv03", "webserv04", "db1", "db2", "lonely"}},
		{"default group", Selector{}, "db", []string{"db1", "db2"}},
		{"flags beat default group", Selector{Groups: []string{"canary"}}, "db", []string{"webserv01"}},
		{"limit", Selector{Groups: []string{"app"}, Limit: "web*"}, "", []string{"webserv01", "webserv02", "webserv03", "webserv04"}},
		{"limit list", Selector{Groups: []string{"app"}, Limit: "db1,webserv0[12]"}, "", []string{"webserv01", "webserv02", "db1"}},
		{"exclude", Selector{Groups: []string{"app"}, Exclude: "webserv0[2-4]"}, "", []string{"webserv01", "db1", "db2"}},
		{"limit and exclude", Selector{Groups: []string{"app"}, Limit: "webserv*", Exclude: "*3,*4"}, "", []string{"webserv01", "webserv02"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := farm().Select(tt.sel, tt.defaultGroup)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("Select = %q, want %q", names(got), tt.want)
			}
		})
	}
}

func TestSelectErrors(t *testing.T) {
	cycle := farm()
	cycle.Groups["a"] = []string{"@b"}
	cycle.Groups["b"] = []string{"x", "@a"}
	broken := farm()
	broken.Groups["bad"] = []string{"web[1:"}
	broken.Groups["outer"] = []string{"@bad"}
	tests := []struct {
		name     string
		inv      *Inventory
		sel      Selector
		wantIs   error
		wantText string
		wantHint string
	}{
		{"no targets", farm(), Selector{}, ErrNoTargets, "no targets: use -g or -H", "groups: web, canary"},
		{"no targets, no inventory", nil, Selector{}, ErrNoTargets, "no targets", ""},
		{"unknown group suggests", farm(), Selector{Groups: []string{"wbe"}}, ErrUnknownGroup, `unknown group "wbe" in inventory.toml`, `did you mean "web"?`},
		{"unknown group lists", farm(), Selector{Groups: []string{"frontend"}}, ErrUnknownGroup, `unknown group "frontend"`, "groups: web, canary, db, app, both, empty"},
		{"unknown group without inventory", nil, Selector{Groups: []string{"web"}}, ErrUnknownGroup, `unknown group "web"`, "the inventory has no groups"},
		{"empty group", farm(), Selector{Groups: []string{"empty"}}, ErrEmptyTarget, "no hosts to work on", ""},
		{"all excluded", farm(), Selector{Groups: []string{"db"}, Exclude: "db*"}, ErrEmptyTarget, `no hosts to work on after --exclude "db*"`, "selected before filtering: db[1-2]"},
		{"limit matches nothing", farm(), Selector{Groups: []string{"db"}, Limit: "web*"}, ErrEmptyTarget, `after --limit "web*"`, ""},
		{"bad glob", farm(), Selector{Groups: []string{"db"}, Limit: "[web"}, nil, `bad glob "[web"`, ""},
		{"bad range in -H", farm(), Selector{Hosts: []string{"web[3:1]"}}, nil, `host pattern "web[3:1]": range [3:1]: start 3 is after end 1`, ""},
		{"bad range in a group", broken, Selector{Groups: []string{"outer"}}, nil, `group bad: host pattern "web[1:": '[' without ']'`, ""},
		{"group cycle", cycle, Selector{Groups: []string{"a"}}, nil, "group cycle: @a -> @b -> @a", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.inv.Select(tt.sel, "")
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %q", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantText) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %q, want one line containing %q", err, tt.wantText)
			}
			var he *HintError
			hint := ""
			if errors.As(err, &he) {
				hint = he.Hint
			}
			if !strings.Contains(hint, tt.wantHint) {
				t.Errorf("hint = %q, want %q", hint, tt.wantHint)
			}
		})
	}
}

func TestSelectLiteralKeepsFirstMention(t *testing.T) {
	got, err := farm().Select(Selector{Hosts: []string{"alice@db1:2200", "db1", "bob@db1"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{{User: "alice", Host: "db1", Port: 2200}}
	if !slices.Equal(got, want) {
		t.Errorf("Select = %+v, want %+v", got, want)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name  string
		order []string
		want  []string
	}{
		{"from positions", nil, []string{"webserv01", "webserv02", "webserv03", "webserv04", "db1", "db2", "lonely"}},
		{"order first", []string{"@db", "lonely"}, []string{"db1", "db2", "lonely", "webserv01", "webserv02", "webserv03", "webserv04"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := farm()
			inv.Order = tt.order
			if got := inv.Names(); !slices.Equal(got, tt.want) {
				t.Errorf("Names = %q, want %q", got, tt.want)
			}
		})
	}
}
