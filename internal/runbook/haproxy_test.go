package runbook

import (
	"strings"
	"testing"

	"github.com/drover-sh/drover/runbooks"
)

// TestShippedCutoverLB plans the shipped cutover-lb: the load balancer
// comes from the params, each host's server is named after it, and the
// probe asks the host's own address and wants the body given.
func TestShippedCutoverLB(t *testing.T) {
	src, err := runbooks.Read("cutover-lb.toml")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Parse("embedded:cutover-lb.toml", src)
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string]string{"source": "dist", "release": "r2", "lb_socket": "/run/haproxy/admin.sock",
		"lb_via": "lb01", "backend": "app", "expect_body": `release r2\b`}
	p, err := rb.Plan(Options{Sets: sets, Hosts: testHosts, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	lb := p.HAProxy[0]
	if lb.Socket != "/run/haproxy/admin.sock" || lb.Via != "lb01" || lb.Backend != "app" || lb.Servers["web02"] != "web02" {
		t.Errorf("haproxy = %+v", lb)
	}
	var names []string
	for _, st := range p.Stages[1].StepsFor("web02") {
		names = append(names, st.Name)
	}
	if got := strings.Join(names, ","); got != "drain,switch,restart,probe,enable" {
		t.Errorf("cutover steps = %s", got)
	}
	probe := p.Stages[1].StepsFor("web02")[3]
	if probe.Arg != "http://10.0.0.2:8080/health" || probe.Body == nil || !probe.Body.MatchString("ok release r2") || probe.Body.MatchString("release r22") {
		t.Errorf("probe = %s, body %v", probe.Arg, probe.Body)
	}
	if undo := p.Stages[1].UndoFor("web02"); len(undo) != 4 || undo[2].Body != nil || undo[3].Arg != "enable" {
		t.Errorf("undo = %+v", undo)
	}
	delete(sets, "expect_body")
	delete(sets, "lb_via")
	if p, err = rb.Plan(Options{Sets: sets, Hosts: testHosts, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	if lb := p.HAProxy[0]; lb.Via != "" || p.Stages[1].StepsFor("web01")[3].Body != nil {
		t.Errorf("defaults: via %q, body %v; want none", lb.Via, p.Stages[1].StepsFor("web01")[3].Body)
	}
}

// TestHAProxyTemplates: a socket, backend or body that renders to
// something unusable is refused before the run, naming the key.
func TestHAProxyTemplates(t *testing.T) {
	const src = `
name = "lb"
[params.sock]
default = "nowhere"
[params.be]
default = ""
[params.want]
default = "("
pattern = '.*'
[haproxy]
socket  = "{{ .sock }}"
backend = "{{ .be }}"
[[stage]]
name = "roll"
  [[stage.step]]
  haproxy = "drain"
  [[stage.step]]
  http = "http://{{ .addr }}/"
  body = '{{ .want }}'
`
	rb, err := Parse("lb.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = rb.Plan(Options{Hosts: testHosts, Now: testNow})
	if err == nil {
		t.Fatal("Plan() = nil, want errors")
	}
	for _, want := range []string{`"nowhere" is neither HOST:PORT`, "the backend is empty", "body in [[stage.step]]: for host web01: bad regexp"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Plan() =\n%v\nwant %q", err, want)
		}
	}
}

// TestHAProxyStepTarget: a haproxy step may name its own backend and
// server; other steps may not.
func TestHAProxyStepTarget(t *testing.T) {
	const src = `
name = "lb"
[haproxy]
socket  = "127.0.0.1:9999"
backend = "web"
[[stage]]
name = "roll"
  [[stage.step]]
  haproxy = "drain"
  backend = "api"
  server  = "{{ .host }}-api"
  [[stage.step]]
  run     = "true"
  backend = "api"
`
	_, err := Parse("lb.toml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "only haproxy steps take backend, not run steps") {
		t.Fatalf("Parse() = %v, want backend refused on a run step", err)
	}
	rb, err := Parse("lb.toml", []byte(strings.Split(src, "  [[stage.step]]\n  run")[0]))
	if err != nil {
		t.Fatal(err)
	}
	p, err := rb.Plan(Options{Hosts: testHosts, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Stages[0].StepsFor("web02")[0]; st.Backend != "api" || st.Server != "web02-api" {
		t.Errorf("step = %+v, want backend api, server web02-api", st)
	}
}
