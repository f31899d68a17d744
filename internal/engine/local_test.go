package engine_test

import (
	"context"
	"slices"
	"testing"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/engine/enginetest"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/plan"
)

func TestLocalSteps(t *testing.T) {
	tests := []struct {
		name     string
		step     plan.Step
		want     []string // output lines, in host order
		wantHost event.Result
	}{
		{"per host", plan.Step{Name: "l", Kind: plan.KindLocal, Arg: `echo "$DROVER_STAGE $DROVER_HOST $DROVER_USER"`},
			[]string{"s h01 deploy", "s h02 deploy"}, event.OK},
		{"once per stage", plan.Step{Name: "l", Kind: plan.KindLocal, Once: true, Arg: `echo "once for $DROVER_HOSTS"`},
			[]string{"once for h01 h02"}, event.OK},
		{"stderr and exit status", plan.Step{Name: "l", Kind: plan.KindLocal, Arg: `echo oops >&2; exit 4`},
			[]string{"oops", "oops"}, event.Failed},
		{"ok_exit", plan.Step{Name: "l", Kind: plan.KindLocal, Arg: `printf partial; exit 4`, OkExit: []int{4}},
			[]string{"partial", "partial"}, event.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm := enginetest.NewFarm(exitScript(nil))
			p := newPlan(2, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 1, MaxFail: plan.Threshold{Count: 2}},
				steps: []plan.Step{tt.step}})
			rec := &recorder{}
			s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec})
			var got []string
			for _, e := range rec.kinds(event.StepOutput) {
				got = append(got, e.Line)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("output = %q, want %q", got, tt.want)
			}
			for _, h := range s.Hosts {
				if h.Result != tt.wantHost {
					t.Errorf("%s = %s %q, want %s", h.Host, h.Result, h.Note, tt.wantHost)
				}
			}
			if n := len(farm.Commands()); n != 0 {
				t.Errorf("%d remote commands, want none", n)
			}
		})
	}
}

// TestOnceLocalStepRetries: a once-per-stage local step that failed runs
// again on retry instead of replaying the failure.
func TestOnceLocalStepRetries(t *testing.T) {
	dir := t.TempDir()
	marker := dir + "/ran"
	// Fails the first time, succeeds after.
	cmd := `if [ -e '` + marker + `' ]; then echo second; else touch '` + marker + `'; echo first; exit 1; fi`
	farm := enginetest.NewFarm(exitScript(nil))
	p := newPlan(2, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 1},
		steps: []plan.Step{{Name: "l", Kind: plan.KindLocal, Once: true, Arg: cmd, Retries: 1}}})
	rec := &recorder{}
	s := mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec})
	var got []string
	for _, e := range rec.kinds(event.StepOutput) {
		got = append(got, e.Line)
	}
	if !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("output = %q, want the command run twice: first, second", got)
	}
	for _, h := range s.Hosts {
		if h.Result != event.OK {
			t.Errorf("%s = %s, want ok", h.Host, h.Result)
		}
	}
}

// TestLocalStepEnvironment: a local step never inherits a variable a
// declared secret is read from (the sudo password among them), and gets a
// secret only when it names it in EnvSecrets.
func TestLocalStepEnvironment(t *testing.T) {
	t.Setenv("DROVER_SUDO_PASSWORD", "sudo-pw-4711")
	t.Setenv("API_TOKEN_SOURCE", "api-tok-0815")
	t.Setenv("DROVER_SECRET_API", "inherited-0042")
	t.Setenv("DROVER_TEST_PLAIN", "plain")
	show := `echo "sudo=$DROVER_SUDO_PASSWORD src=$API_TOKEN_SOURCE api=$DROVER_SECRET_API plain=$DROVER_TEST_PLAIN"`
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"no secret named", nil, "sudo= src= api= plain=plain"},
		{"one secret named", []string{"api"}, "sudo= src= api=from-store plain=plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			farm := enginetest.NewFarm(exitScript(nil))
			p := newPlan(1, stageSpec{Stage: plan.Stage{Name: "s", Parallel: 1},
				steps: []plan.Step{{Name: "l", Kind: plan.KindLocal, Arg: show, EnvSecrets: tt.env}}})
			p.Secrets = map[string]plan.Secret{
				"sudo": {Name: "sudo", Env: "DROVER_SUDO_PASSWORD"},
				"api":  {Name: "api", Env: "API_TOKEN_SOURCE"},
			}
			rec := &recorder{}
			mustRun(t, context.Background(), p, farm, engine.Options{Sink: rec, Secrets: secrets{"api": "from-store"}})
			var got []string
			for _, e := range rec.kinds(event.StepOutput) {
				got = append(got, e.Line)
			}
			if !slices.Equal(got, []string{tt.want}) {
				t.Errorf("output = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecretEnvName(t *testing.T) {
	for name, want := range map[string]string{"api": "DROVER_SECRET_API", "db-pw.2": "DROVER_SECRET_DB_PW_2"} {
		if got := engine.SecretEnvName(name); got != want {
			t.Errorf("SecretEnvName(%q) = %q, want %q", name, got, want)
		}
	}
}
