package cli

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/runbook"
	"github.com/drover-sh/drover/internal/ui"
	"github.com/drover-sh/drover/runbooks"
)

type execOptions struct {
	target  targetOptions
	out     outputOptions
	expect  []string
	sudo    bool
	explain bool
}

func newExecCmd(env *env) *cobra.Command {
	var opts execOptions
	cmd := &cobra.Command{
		Use:   "exec [target flags] [--expect 'REGEX=>REPLY']... [--sudo] -- COMMAND...",
		Short: "run one command on every targeted host, identical answers folded",
		Long: `Run a shell command on every targeted host, at most --parallel at a time
(default 32), and print each distinct answer once, headed by the hosts that
gave it and their exit status. Hosts that failed or could not be reached are
listed last with the reason. The command runs in a pseudo-terminal, so Ctrl-C
stops it on every host.

--expect answers prompts: REGEX is matched against recent output, REPLY is
sent with a newline; REPLY may be secret:NAME to send a secret from
$DROVER_SECRET_NAME or a prompt. --sudo runs the command through sudo and
answers its password prompt from $DROVER_SUDO_PASSWORD or a prompt, once.

Examples:
  drover exec -g web -- 'cat /etc/hostname; id -un'
  drover exec -H 'web[01:04]' -p 2 -- uptime
  drover exec -g web --sudo -- systemctl is-active app
  drover exec -g web --expect 'Overwrite \(y/n\)\? $=>y' -- ./install.sh

` + exitCodesHelp,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExec(cmd.Context(), opts, args, env)
		},
	}
	opts.target.register(cmd.Flags())
	opts.out.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&opts.expect, "expect", nil, "answer a prompt: 'REGEX=>REPLY' (REPLY may be secret:NAME)")
	cmd.Flags().BoolVar(&opts.sudo, "sudo", false, "run the command with sudo, answering its password prompt")
	cmd.Flags().BoolVar(&opts.explain, "explain-prompts", false, "for hosts stuck at a prompt, show an --expect flag that answers it")
	return cmd
}

func runExec(ctx context.Context, opts execOptions, args []string, env *env) error {
	rb, err := shippedRunbook("exec.toml")
	if err != nil {
		return err
	}
	rules, secrets, err := parseExpectFlags(opts.expect)
	if err != nil {
		return usageErr(err)
	}
	out := opts.out
	out.JSON = false // exec's --json is one object per host, written below
	if opts.out.JSON {
		out.NoColor, out.Verbose = true, false
	}
	req := runRequest{
		rb: rb, target: opts.target, out: out, yes: true, quiet: true,
		sets:      map[string]string{"command": strings.Join(args, " ")},
		overrides: plan.Overrides{Expect: rules, Secrets: secrets, Sudo: opts.sudo},
	}
	res, err := execute(ctx, env, req)
	if err != nil {
		return err
	}
	switch {
	case opts.out.JSON:
		if err := ui.HostJSON(env.stdout, ui.HostOutputs(res.Summary, res.events)); err != nil {
			return err
		}
	case opts.out.Verbose:
		ui.Summary(env.stdout, opts.out.style(env), ui.SummaryRows(res.Summary))
	default:
		ui.Fold(env.stdout, opts.out.style(env), ui.HostOutputs(res.Summary, res.events))
	}
	if opts.explain {
		explainPrompts(env.stdout, res.Summary, true)
	}
	return codeOf(res)
}

// secretName is what secret:NAME may name: its variable
// $DROVER_SECRET_NAME must be one a shell can set.
var secretName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// parseExpectFlags reads --expect 'REGEX=>REPLY' values. A reply of
// secret:NAME declares the secret NAME, read from $DROVER_SECRET_NAME or a
// prompt.
func parseExpectFlags(flags []string) ([]plan.ExpectRule, map[string]plan.Secret, error) {
	var rules []plan.ExpectRule
	secrets := map[string]plan.Secret{}
	for _, f := range flags {
		re, reply, ok := strings.Cut(f, "=>")
		if !ok || re == "" {
			return nil, nil, fmt.Errorf("--expect %q: want 'REGEX=>REPLY'", f)
		}
		rx, err := regexp.Compile(re)
		if err != nil {
			return nil, nil, fmt.Errorf("--expect %q: %w", f, err)
		}
		rule := plan.ExpectRule{Match: rx, Send: reply, Max: 1}
		if name, ok := strings.CutPrefix(reply, "secret:"); ok {
			if !secretName.MatchString(name) {
				return nil, nil, fmt.Errorf("--expect %q: secret:NAME wants a name of letters, digits, '_', '-' and '.'", f)
			}
			rule.Send, rule.SendSecret = "", name
			env := "DROVER_SECRET_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
			secrets[name] = plan.Secret{Name: name, Env: env, Prompt: name}
		}
		rules = append(rules, rule)
	}
	return rules, secrets, nil
}

// shippedRunbook parses one of the runbooks embedded in the binary.
func shippedRunbook(name string) (*runbook.Runbook, error) {
	src, err := runbooks.Read(name)
	if err != nil {
		return nil, fmt.Errorf("shipped runbook %s: %w", name, err)
	}
	rb, err := runbook.Parse("embedded:"+name, src)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("shipped runbook %s is invalid", name), err)
	}
	return rb, nil
}
