package runbook

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/shell"
	"github.com/drover-sh/drover/internal/transport"
)

const paramsRunbook = `name = "params"

[params.release]
default = "{{ today }}"

[params.dir]
default = "app"

[params.msg]
pattern = '[A-Za-z ;]*'
default = "hi there"

[params.source]
required = true

[release]
root = "/srv/app"

[[stage]]
name = "s"

  [[stage.step]]
  run = "echo {{ quote .msg }} {{ .dir }} {{ .release }} {{ .root }} {{ .source }}"
`

func TestPlanParams(t *testing.T) {
	tests := []struct {
		name    string
		sets    map[string]string
		want    map[string]string // params that must have these values
		wantErr string            // the whole error, when Plan fails
	}{
		{
			name: "defaults and today",
			sets: map[string]string{"source": "dist"},
			want: map[string]string{"release": "2026-11-21", "dir": "app", "msg": "hi there", "root": "/srv/app"},
		},
		{
			name: "set overrides defaults and root",
			sets: map[string]string{"source": "dist", "release": "r42", "root": "app"},
			want: map[string]string{"release": "r42", "root": "app"},
		},
		{
			name:    "shell code is not a safe value",
			sets:    map[string]string{"source": "dist", "dir": "x; rm -rf /"},
			wantErr: `p.toml:6:1: value "x; rm -rf /" of param dir may hold only A-Z a-z 0-9 . _ - : / @ + = , (declare a pattern to allow more)`,
		},
		{
			name: "a pattern allows more",
			sets: map[string]string{"source": "dist", "msg": "a; b"},
			want: map[string]string{"msg": "a; b"},
		},
		{
			name:    "a pattern must match the whole value",
			sets:    map[string]string{"source": "dist", "msg": "a|b"},
			wantErr: `p.toml:9:1: value "a|b" of param msg does not match its pattern [A-Za-z ;]*`,
		},
		{
			name:    "unknown set key",
			sets:    map[string]string{"source": "dist", "relase": "x"},
			wantErr: `p.toml: --set relase: the runbook has no param relase; did you mean release?`,
		},
		{
			name:    "required param without a value",
			sets:    nil,
			wantErr: `p.toml:13:1: param source is required: give it with --set source=VALUE`,
		},
	}
	rb, err := Parse("p.toml", []byte(paramsRunbook))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := rb.Plan(Options{Sets: tt.sets, Hosts: testHosts, Now: testNow})
			if tt.wantErr != "" {
				var ds Diagnostics
				if !errors.As(err, &ds) || err.Error() != tt.wantErr {
					t.Fatalf("Plan() error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan() = %v", err)
			}
			for k, v := range tt.want {
				if p.Params[k] != v {
					t.Errorf("param %s = %q, want %q", k, p.Params[k], v)
				}
			}
			if p.Release.Root != p.Params["root"] {
				t.Errorf("Release.Root = %q, want the param root %q", p.Release.Root, p.Params["root"])
			}
		})
	}
}

func TestParams(t *testing.T) {
	rb, err := Parse("p.toml", []byte(paramsRunbook))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range rb.Params() {
		names = append(names, p.Name)
		if p.Name == "source" && !p.Required || p.Name == "msg" && p.Pattern != "[A-Za-z ;]*" ||
			p.Name == "release" && p.Default != "{{ today }}" {
			t.Errorf("ParamInfo = %+v", p)
		}
	}
	if got := strings.Join(names, ","); got != "dir,msg,release,root,source" {
		t.Errorf("Params() names = %s", got)
	}
}

const hostRunbook = `name = "hosts"

[[expect]]
match = 'continue\?'
send  = "{{ .host }}"

[[stage]]
name = "s"

  [[stage.step]]
  run     = "echo {{ .host }} {{ .addr }} {{ .user }} {{ .vars.dc }} {{ .run_id }}"
  skip_if = "test -e /tmp/{{ .host }}"

  [[stage.step]]
  local = "drain {{ .host }}"

  [[stage.undo]]
  confirm = "{{ .host }} in {{ .vars.dc }} rolled back?"
`

func TestPlanTemplates(t *testing.T) {
	rb, err := Parse("h.toml", []byte(hostRunbook))
	if err != nil {
		t.Fatal(err)
	}
	p, err := rb.Plan(Options{Hosts: testHosts, RunID: "r7", Now: testNow})
	if err != nil {
		t.Fatalf("Plan() = %v", err)
	}
	tests := []struct {
		host, run, skip, undo, reply string
	}{
		{"web01", "echo web01 10.0.0.1 deploy ams r7", "test -e /tmp/web01", "web01 in ams rolled back?", "web01"},
		{"web02", "echo web02 10.0.0.2 ops fra r7", "test -e /tmp/web02", "web02 in fra rolled back?", "web02"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			steps := p.Stages[0].StepsFor(tt.host)
			if len(steps) != 2 {
				t.Fatalf("steps = %d, want 2", len(steps))
			}
			if steps[0].Arg != tt.run || steps[0].SkipIf != tt.skip {
				t.Errorf("run step = %q skip_if %q, want %q, %q", steps[0].Arg, steps[0].SkipIf, tt.run, tt.skip)
			}
			if len(steps[0].Expect) != 1 || steps[0].Expect[0].Send != tt.reply || steps[0].Expect[0].Max != 1 {
				t.Errorf("expect rules = %+v", steps[0].Expect)
			}
			if len(steps[1].Expect) != 0 {
				t.Errorf("local step has expect rules: %+v", steps[1].Expect)
			}
			if undo := p.Stages[0].UndoFor(tt.host); len(undo) != 1 || undo[0].Arg != tt.undo {
				t.Errorf("undo = %+v, want %q", undo, tt.undo)
			}
		})
	}
}

func TestPlanMissingKey(t *testing.T) {
	rb, err := Parse("h.toml", []byte(hostRunbook))
	if err != nil {
		t.Fatal(err)
	}
	hosts := append(testHosts[:1:1],
		inventory.Host{Name: "web03", Endpoint: transport.Endpoint{Host: "10.0.0.3"}},
		inventory.Host{Name: "web04", Endpoint: transport.Endpoint{Host: "10.0.0.4"}, Vars: map[string]string{"rack": "1"}},
	)
	_, err = rb.Plan(Options{Hosts: hosts, Now: testNow})
	want := `h.toml:11:3: run in [[stage.step]]: for host web03: at <.vars.dc>: map has no entry for key "dc" (and on 1 more host)
h.toml:18:3: confirm in [[stage.undo]]: for host web03: at <.vars.dc>: map has no entry for key "dc" (and on 1 more host)`
	if err == nil || err.Error() != want {
		t.Errorf("Plan() error =\n%v\nwant\n%s", err, want)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "app", `'app'`},
		{"empty", "", `''`},
		{"single quote", "it's", `'it'\''s'`},
		{"shell code", "$(rm -rf /); `x` \"y\"", `'$(rm -rf /); ` + "`x`" + ` "y"'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shell.Quote(tt.in)
			if got != tt.want {
				t.Fatalf("quote(%q) = %s, want %s", tt.in, got, tt.want)
			}
			out, err := exec.Command("sh", "-c", "printf %s "+got).Output()
			if err != nil {
				t.Fatalf("sh: %v", err)
			}
			if string(out) != tt.in {
				t.Errorf("the shell read %q, want %q", out, tt.in)
			}
		})
	}
}

func TestDerivedName(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"as written", "systemctl restart app", "run: systemctl restart app"},
		{"spaces folded", "make \\\n   install", "run: make \\ install"},
		{"long trimmed", strings.Repeat("x", 60), "run: " + strings.Repeat("x", 47) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := derivedName("run", tt.src); got != tt.want {
				t.Errorf("derivedName() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPlanRefusesBadReleaseIDs: a release id no host could switch to is
// refused when the plan is made, before an earlier stage publishes it.
func TestPlanRefusesBadReleaseIDs(t *testing.T) {
	const src = `name = "r"
[params.release]
default = "r1"
[release]
root = "/srv/app"
[[stage]]
name = "s"
  [[stage.step]]
  switchrel = "{{ .release }}"
`
	rb, err := Parse("r.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		release string
		wantErr string
	}{
		{"2026-11-22", ""},
		{"a/b", `r.toml:9:3: switchrel in [[stage.step]]: for host web01: invalid release id "a/b": '/' is not allowed`},
		{".hidden", `r.toml:9:3: switchrel in [[stage.step]]: for host web01: invalid release id ".hidden": starts with a dot`},
	}
	for _, tt := range tests {
		t.Run(tt.release, func(t *testing.T) {
			_, err := rb.Plan(Options{Sets: map[string]string{"release": tt.release}, Hosts: testHosts[:1], Now: testNow})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("Plan() error = %q, want %q", got, tt.wantErr)
			}
		})
	}
}
