package runbook

import (
	"testing"
	"time"

	"github.com/drover-sh/drover/internal/plan"
)

const lbRunbook = `
name = "lb"

[[haproxy]]
socket = "127.0.0.1:9999"
backend = "web"

[[haproxy]]
socket = "/run/haproxy/admin.sock"
via = "lb02"
backend = "web"
server = "{{ .host }}-{{ .vars.dc }}"

[[stage]]
name = "roll"

[[stage.step]]
haproxy = "drain"
wait = true
timeout = "20s"

[[stage.step]]
http = "http://{{ .addr }}:8080/health"
status = 200
body = 'ok\d'

[[stage.step]]
http = "http://{{ .addr }}:8080/"
via = "direct"
interval = "1s"
`

// TestHTTPAndHAProxyPlan checks the typed values of http and haproxy steps
// and the rendered server names of every load balancer.
func TestHTTPAndHAProxyPlan(t *testing.T) {
	rb, err := Parse("lb.toml", []byte(lbRunbook))
	if err != nil {
		t.Fatal(err)
	}
	p, err := rb.Plan(Options{Hosts: testHosts})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.HAProxy) != 2 {
		t.Fatalf("HAProxy = %+v, want 2", p.HAProxy)
	}
	if got := p.HAProxy[0].Servers["web02"]; got != "web02" {
		t.Errorf("default server = %q, want web02", got)
	}
	if got, via := p.HAProxy[1].Servers["web01"], p.HAProxy[1].Via; got != "web01-ams" || via != "lb02" {
		t.Errorf("server, via = %q, %q, want web01-ams, lb02", got, via)
	}
	steps := p.Stages[0].StepsFor("web01")
	drain, probe, direct := steps[0], steps[1], steps[2]
	if drain.Kind != plan.KindHAProxy || drain.Arg != "drain" || !drain.Wait || drain.Timeout != 20*time.Second {
		t.Errorf("drain = %+v", drain)
	}
	if probe.Kind != plan.KindHTTP || probe.Arg != "http://10.0.0.1:8080/health" || probe.Status != 200 ||
		!probe.Body.MatchString("ok1") || probe.Interval != defaultInterval || probe.Via != plan.ViaSSH {
		t.Errorf("probe = %+v", probe)
	}
	if direct.Via != plan.ViaDirect || direct.Interval != time.Second || direct.Status != 0 || direct.Body != nil {
		t.Errorf("direct = %+v", direct)
	}
}
