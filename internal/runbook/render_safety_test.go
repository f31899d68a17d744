package runbook

import (
	"errors"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/transport"
)

// safetyRunbook is a runbook with one step; the step's keys are filled in.
const safetyRunbook = `name = "safety"

[params.rel]
default = "r1"

[params.any]
pattern = '.*'
default = "x"

[release]
root = "/srv/app"

[[stage]]
name = "s"

  [[stage.step]]
`

// pwned is an inventory value that is shell code.
const pwned = "ams; touch /tmp/pwned"

func safetyHosts() []inventory.Host {
	return []inventory.Host{{
		Name:     "web01",
		Endpoint: transport.Endpoint{Host: "fe80::1%eth0", User: "deploy"},
		Origin:   map[string]string{"host": "inventory host", "user": "ssh_config /home/x/.ssh/config:4"},
		Vars:     map[string]string{"dc": pwned, "safe": "ams", "empty": "", "log": "-n1"},
	}}
}

// TestPlanShellSafety: every value that reaches a shell is in the safe set
// or quoted, and remote paths rendered from params stay where they belong.
func TestPlanShellSafety(t *testing.T) {
	tests := []struct {
		name    string
		step    string
		sets    map[string]string
		wantArg string // the rendered kind value, when the plan is made
		wantErr string // a part of the error, when it is refused
	}{
		{"inventory var raw in run", `run = "echo {{ .vars.dc }}"`, nil, "",
			`s.toml:17:3: run in [[stage.step]]: for host web01: .vars.dc = "ams; touch /tmp/pwned" (inventory inventory.toml:7:1) holds characters a shell would interpret; write {{ quote .vars.dc }} to pass it as one word`},
		{"inventory var quoted", `run = "echo {{ quote .vars.dc }}"`, nil, `echo 'ams; touch /tmp/pwned'`, ""},
		{"inventory var piped to quote", `run = "echo {{ .vars.dc | quote }}"`, nil, `echo 'ams; touch /tmp/pwned'`, ""},
		{"inventory var through printf", `run = 'echo {{ printf "%s" .vars.dc }}'`, nil, "", "write {{ quote .vars.dc }}"},
		{"inventory var through printf %q", `run = 'echo {{ printf "%q" .vars.dc }}'`, nil, "", "write {{ quote .vars.dc }}"},
		{"inventory var through index", `run = 'echo {{ index .vars "dc" }}'`, nil, "", "write {{ quote .vars.dc }}"},
		{"inventory var through range", `run = 'echo {{ range $k, $v := .vars }}{{ $v }}{{ end }}'`, nil, "", "write {{ quote .vars.dc }}"},
		{"inventory var raw in skip_if", `run = "true"` + "\n  skip_if = \"test {{ .vars.dc }}\"", nil, "", "skip_if in [[stage.step]]: for host web01: .vars.dc"},
		{"inventory var raw in local", `local = "drain {{ .vars.dc }}"`, nil, "", "local in [[stage.step]]: for host web01: .vars.dc"},
		{"inventory var compared", `run = '{{ if eq .vars.dc "ams; touch /tmp/pwned" }}echo yes{{ end }}{{ if ne .vars.safe "fra" }} ams{{ end }}'`, nil, "echo yes ams", ""},
		{"inventory var in a question", `confirm = "{{ .vars.dc }} looks fine?"`, nil, pwned + " looks fine?", ""},
		{"safe inventory var raw", `run = "echo {{ .vars.safe }}{{ .vars.empty }} {{ .host }} {{ .user }}"`, nil, "echo ams web01 deploy", ""},
		{"address raw", `run = "ping {{ .addr }}"`, nil, "", `.addr = "fe80::1%eth0" (inventory inventory.toml:7:1) holds characters`},
		{"address quoted", `run = "ping {{ quote .addr }}"`, nil, "ping 'fe80::1%eth0'", ""},

		{"param starting with a dash", `run = "rm {{ .rel }}"`, map[string]string{"rel": "-rf"}, "", `value "-rf" of param rel starts with -`},
		{"param with a .. segment", `run = "ls {{ .rel }}"`, map[string]string{"rel": "a/../../etc"}, "", `value "a/../../etc" of param rel has a .. path segment`},
		{"param that is ..", `switchrel = "{{ .rel }}"`, map[string]string{"rel": ".."}, "", `has a .. path segment`},
		{"param with dots that are no segment", `run = "ls {{ .rel }}"`, map[string]string{"rel": "r1..2"}, "ls r1..2", ""},
		{"param with a pattern may start with a dash", `run = "ls {{ quote .any }}"`, map[string]string{"any": "-l"}, "ls '-l'", ""},

		{"upload into the release", `upload = "dist"` + "\n  to = \"{{ .root }}/releases/{{ .rel }}\"", nil, "dist", ""},
		{"upload to out of the release root", `upload = "dist"` + "\n  to = \"{{ .root }}/releases/{{ .any }}\"", map[string]string{"any": "../../../etc/cron.d"}, "",
			`to in [[stage.step]]: for host web01: path "/srv/app/releases/../../../etc/cron.d" has a .. segment`},
		{"upload to beside the release root", `upload = "dist"` + "\n  to = \"{{ .root }}{{ .any }}\"", map[string]string{"any": "-old/x"}, "",
			`path "/srv/app-old/x" is outside the release root /srv/app`},
		{"upload to not clean", `upload = "dist"` + "\n  to = \"{{ .root }}/releases/{{ .rel }}/\"", nil, "",
			`path "/srv/app/releases/r1/" is not clean (it would be "/srv/app/releases/r1")`},
		{"upload to from a param", `upload = "dist"` + "\n  to = \"{{ .any }}\"", map[string]string{"any": "/tmp/a/../../etc"}, "", `has a .. segment`},
		{"upload to written as it is", `upload = "dist"` + "\n  to = \"/tmp/x/\"", nil, "dist", ""},
		{"watch from a param", `watch = "{{ .any }}"` + "\n  until = 'up'", map[string]string{"any": "/var/log/../../etc/shadow"}, "",
			`watch in [[stage.step]]: for host web01: path "/var/log/../../etc/shadow" has a .. segment`},
		{"watch from an inventory var starting with a dash", `watch = "{{ .vars.log }}"` + "\n  until = 'up'", nil, "",
			`path "-n1" starts with -, which a command would take for an option`},
		{"watch from a param, clean", `watch = "/var/log/{{ .rel }}.log"` + "\n  until = 'up'", nil, "/var/log/r1.log", ""},
		{"switchrel from a param", `switchrel = "{{ .any }}"`, map[string]string{"any": "../r1"}, "", `invalid release id "../r1": starts with a dot`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rb, err := Parse("s.toml", []byte(safetyRunbook+"  "+tt.step+"\n"))
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			p, err := rb.Plan(Options{Sets: tt.sets, Hosts: safetyHosts(), Now: testNow,
				HostPos: map[string]string{"web01": "inventory.toml:7:1"}})
			if tt.wantErr != "" {
				var ds Diagnostics
				if !errors.As(err, &ds) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Plan() error = %v, want one with %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan() = %v", err)
			}
			if got := p.Stages[0].StepsFor("web01")[0].Arg; got != tt.wantArg {
				t.Errorf("Arg = %q, want %q", got, tt.wantArg)
			}
		})
	}
}

// TestPlanRawValueOrigin: the message names where a refused value comes
// from: the inventory entry, or the origin of an SSH setting.
func TestPlanRawValueOrigin(t *testing.T) {
	rb, err := Parse("s.toml", []byte(safetyRunbook+`  run = "echo {{ .user }} {{ .addr }}"`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		user   string
		origin map[string]string
		want   string
	}{
		{"from ssh_config", "de ploy", map[string]string{"user": "ssh_config /home/x/.ssh/config:4"},
			`.user = "de ploy" (from ssh_config /home/x/.ssh/config:4) holds characters`},
		{"from a flag", "de ploy", map[string]string{"user": "flag"}, `.user = "de ploy" (from flag) holds`},
		{"from the inventory", "de ploy", map[string]string{"user": "inventory defaults"}, `.user = "de ploy" (inventory inventory.toml:7:1) holds`},
		{"the address after the user", "deploy", map[string]string{"host": "inventory host"}, `.addr = "fe80::1%eth0" (inventory inventory.toml:7:1) holds`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := safetyHosts()
			h[0].Endpoint.User, h[0].Origin = tt.user, tt.origin
			_, err := rb.Plan(Options{Hosts: h, Now: testNow, HostPos: map[string]string{"web01": "inventory.toml:7:1"}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Plan() error = %v, want one with %s", err, tt.want)
			}
		})
	}
}
