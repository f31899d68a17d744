package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/engine/enginetest"
	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/transport"
)

// fakeDialer connects to a fake farm, except for the hosts in errs.
type fakeDialer struct {
	farm *enginetest.Farm
	errs map[string]error
}

func (d fakeDialer) Dial(ctx context.Context, ep transport.Endpoint) (transport.Conn, error) {
	if err := d.errs[ep.Name]; err != nil {
		return nil, err
	}
	return d.farm.Conn(ep.Name), nil
}

func TestPreflight(t *testing.T) {
	keyErr := &transport.HostKeyError{Problem: transport.HostKeyChanged, Host: "h02"}
	down := errors.New("connection refused")
	var hosts []inventory.Host
	for _, n := range hostNames(5) {
		hosts = append(hosts, inventory.Host{Name: n, Endpoint: transport.Endpoint{Name: n, Host: n}})
	}
	d := fakeDialer{farm: enginetest.NewFarm(exitScript(nil)), errs: map[string]error{"h02": keyErr, "h04": down}}
	conns, problems := engine.Preflight(context.Background(), d, hosts, 2)
	if len(conns) != 3 || conns["h01"] == nil || conns["h02"] != nil {
		t.Errorf("conns = %v, want h01 h03 h05", conns)
	}
	if len(problems) != 2 || problems[0].Host != "h02" || problems[1].Host != "h04" {
		t.Fatalf("problems = %+v, want h02 then h04", problems)
	}
	var ke *transport.HostKeyError
	if !errors.As(problems[0].Err, &ke) || ke.Problem != transport.HostKeyChanged {
		t.Errorf("h02 problem = %v, want a changed host key", problems[0].Err)
	}
	if !errors.Is(problems[1].Err, down) {
		t.Errorf("h04 problem = %v, want %v", problems[1].Err, down)
	}
}
