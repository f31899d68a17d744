package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/rollout"
	"github.com/drover-sh/drover/internal/sandbox"
	"github.com/drover-sh/drover/internal/target"
	"github.com/drover-sh/drover/internal/ui"
)

type demoOptions struct {
	hosts    int
	failHost string
	yes      bool
	noColor  bool
	keep     bool
}

func newDemoCmd(env *env) *cobra.Command {
	var opts demoOptions
	cmd := &cobra.Command{
		Use:   "demo [--fail-host NAME] [--yes]",
		Short: "a full cutover on a throwaway local farm",
		Long: `Start a sandbox farm of 6 hosts on 127.0.0.1, each running a tiny app that
logs the release it runs, and go through the jobs drover is for:
the first release goes out; the next one is published everywhere, then
switched host by host (a canary, a quarter, the rest) with the app
restarted and its log watched, stopping at a gate before each batch
(answered by you on a terminal, or by --yes); finally on-call rolls back
with switchrel previous. --fail-host makes one host's app fail to start,
so the rollout stops and every host that switched is put back.
Needs no root and no sshd; everything is removed at the end.

Examples:
  drover demo
  drover demo --yes --fail-host web03

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), opts, env)
		},
	}
	cmd.Flags().IntVarP(&opts.hosts, "hosts", "n", 6, "number of hosts")
	cmd.Flags().StringVar(&opts.failHost, "fail-host", "", "make this host's app fail to start the new release")
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "answer yes at every gate")
	cmd.Flags().BoolVar(&opts.noColor, "no-color", false, "no colour")
	cmd.Flags().BoolVar(&opts.keep, "keep", false, "keep the sandbox directory at the end")
	return cmd
}

// demo is one demo session: the sandbox and the environment its runs see.
type demo struct {
	env      *env
	sb       *sandbox.Sandbox
	out      outputOptions
	yes      bool
	old, new string // release ids
	src      string // directory with the two release trees
}

func runDemo(ctx context.Context, opts demoOptions, env *env) error {
	d, err := startDemo(ctx, opts, env)
	if err != nil {
		return err
	}
	defer d.stop(opts.keep)
	steps := []func(context.Context) error{d.firstRelease, d.cutover, d.rollback}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

func startDemo(ctx context.Context, opts demoOptions, env *env) (*demo, error) {
	sb, err := startSandbox(ctx, opts.hosts, "", "")
	if err != nil {
		return nil, err
	}
	d := &demo{sb: sb, yes: opts.yes || !env.term.Interactive(), out: outputOptions{NoColor: opts.noColor}}
	d.env = demoEnv(env, sb.Dir)
	now := time.Now()
	d.old, d.new = now.AddDate(0, 0, -1).Format("2006-01-02"), now.Format("2006-01-02")
	d.src = filepath.Join(sb.Dir, "src")
	for _, rel := range []string{d.old, d.new} {
		if err := sandbox.WriteRelease(filepath.Join(d.src, rel)); err != nil {
			sb.Close()
			return nil, err
		}
	}
	if opts.failHost != "" {
		if sb.Farm.Host(opts.failHost) == nil {
			sb.Close()
			return nil, usageErr(fmt.Errorf("--fail-host %s: the sandbox has web01 to web%02d", opts.failHost, opts.hosts))
		}
		sb.FailRelease(opts.failHost, d.new)
	}
	d.say("drover demo: %d hosts on 127.0.0.1 (in-process SSH, real shells), inventory %s", opts.hosts, sb.Inventory)
	return d, nil
}

// demoEnv keeps the demo's journal inside the sandbox.
func demoEnv(env *env, dir string) *env {
	e := *env
	parent := env.getenv
	e.getenv = func(k string) string {
		if k == "XDG_STATE_HOME" {
			return filepath.Join(dir, "state")
		}
		return parent(k)
	}
	return &e
}

func (d *demo) say(format string, args ...any) {
	st := d.out.style(d.env)
	fmt.Fprintln(d.env.stdout)
	fmt.Fprintln(d.env.stdout, st.Emph.Render("▶ "+fmt.Sprintf(format, args...)))
}

func (d *demo) target() targetOptions {
	return targetOptions{Options: target.Options{Inventory: d.sb.Inventory, Groups: []string{"web"}, Timeout: 10 * time.Second}}
}

func (d *demo) cutoverSets(rel string) map[string]string {
	return map[string]string{"release": rel, "source": filepath.Join(d.src, rel), "root": "app",
		"restart": "sh app/current/bin/restart", "log": "app/app.log"}
}

// firstRelease puts the old release on every host, without gates.
func (d *demo) firstRelease(ctx context.Context) error {
	d.say("the first release, %s, goes out to every host (drover run cutover --yes)", d.old)
	rb, err := shippedRunbook("cutover.toml")
	if err != nil {
		return err
	}
	res, err := execute(ctx, d.env, runRequest{rb: rb, sets: d.cutoverSets(d.old), target: d.target(),
		out: outputOptions{NoColor: d.out.NoColor}, yes: true, quiet: true})
	if err != nil {
		return err
	}
	fmt.Fprintln(d.env.stdout, ui.Counts(d.out.style(d.env), ui.SummaryRows(res.Summary)))
	return codeOf(res)
}

// cutover is the rolling cutover to the new release, with gates.
func (d *demo) cutover(ctx context.Context) error {
	how := "you answer each batch gate"
	if d.yes {
		how = "--yes answers the gates"
	}
	d.say("rolling cutover to %s: canary, a quarter, the rest; 2 hosts at a time; %s", d.new, how)
	rb, err := shippedRunbook("cutover.toml")
	if err != nil {
		return err
	}
	res, err := execute(ctx, d.env, runRequest{rb: rb, sets: d.cutoverSets(d.new), target: d.target(),
		out: d.out, yes: d.yes})
	if err != nil {
		return err
	}
	writeRunSummary(d.env, d.out, res)
	if res.stoppedByPerson() {
		return codeOf(res)
	}
	d.releases(ctx)
	if res.Outcome != rollout.OK {
		d.say("the rollout stopped: every host that switched is back on its previous release")
		return codeOf(res)
	}
	return nil
}

// rollback is on-call's switchrel previous.
func (d *demo) rollback(ctx context.Context) error {
	d.say("on-call rolls back: drover switchrel previous -g web --yes")
	err := runSwitchrel(ctx, switchrelOptions{target: d.target(), out: d.out, root: "app",
		restart: "sh app/current/bin/restart", yes: true}, "previous", d.env)
	if err != nil {
		return err
	}
	d.say("done: the farm runs %s again, and %s is marked bad so a second 'previous' skips it", d.old, d.new)
	return nil
}

func (d *demo) releases(ctx context.Context) {
	d.say("drover releases -g web")
	runReleases(ctx, releasesOptions{target: d.target(), out: d.out, root: "app"}, d.env)
}

// stop ends the apps the demo started, then the sandbox.
func (d *demo) stop(keep bool) {
	d.sb.StopApps()
	if keep {
		d.sb.Keep()
		fmt.Fprintf(d.env.stdout, "\nthe sandbox files are kept in %s\n", d.sb.Dir)
	}
	d.sb.Close()
}
