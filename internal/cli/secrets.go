package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/redact"
)

// sudoSecret is the secret `sudo = true` answers with; unless a runbook
// declares it, it comes from $DROVER_SUDO_PASSWORD or a prompt.
const sudoSecret = "sudo"

// secretStore hands out secret values on first use: from the environment, a
// file, or a one-time prompt on the terminal. Every value it learns goes to
// the redactor before anyone else sees it. It is safe for concurrent use;
// a host that needs a value being asked for waits for the answer.
type secretStore struct {
	mu       sync.Mutex
	decl     map[string]plan.Secret
	values   map[string]string
	getenv   func(string) string
	term     *terminal
	redactor *redact.Redactor
	// hold, when set, keeps the live board off the terminal while a
	// secret is asked for; it returns the release.
	hold func() func()
}

func newSecretStore(decl map[string]plan.Secret, env *env, r *redact.Redactor) *secretStore {
	d := map[string]plan.Secret{}
	for k, v := range decl {
		d[k] = v
	}
	if _, ok := d[sudoSecret]; !ok {
		d[sudoSecret] = plan.Secret{Name: sudoSecret, Env: "DROVER_SUDO_PASSWORD", Prompt: "sudo password"}
	}
	return &secretStore{decl: d, values: map[string]string{}, getenv: env.getenv, term: env.term, redactor: r}
}

// Get returns the value of secret name, asking for it once if it must.
func (s *secretStore) Get(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.values[name]; ok {
		return v, nil
	}
	d, ok := s.decl[name]
	if !ok {
		return "", fmt.Errorf("secret %q is not declared", name)
	}
	v, found, err := s.lookup(d)
	if err != nil {
		return "", err
	}
	if !found {
		if d.Prompt == "" || !s.term.interactive() {
			return "", fmt.Errorf("secret %q has no value: %s", name, sources(d))
		}
		if v, err = s.ask(ctx, d.Prompt+": "); err != nil {
			return "", err
		}
	}
	s.redactor.Add(v)
	s.values[name] = v
	return v, nil
}

// lookup reads a secret from its environment variable or file.
func (s *secretStore) lookup(d plan.Secret) (string, bool, error) {
	if d.Env != "" {
		if v := s.getenv(d.Env); v != "" {
			return v, true, nil
		}
	}
	if d.File != "" {
		v, err := readSecretFile(d.File)
		if err != nil {
			return "", false, fmt.Errorf("secret %q: %w", d.Name, err)
		}
		return v, true, nil
	}
	return "", false, nil
}

// readSecretFile reads a secret file, refusing one that its group or others
// may read or write, as ssh refuses such a private key. Trailing newlines are
// dropped.
func readSecretFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", withHint(fmt.Errorf("%s can be read or written by others than its owner (mode %04o)", name, perm),
			"chmod 600 %s", name)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// preload learns every secret that is available without asking, so the
// redactor knows it before the first byte of output whether or not a step
// uses it, and checks that every needed secret can be had: one without a
// value and without a terminal to ask on stops the run before it starts,
// and so does a secret file that others may read.
func (s *secretStore) preload(needed []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range needed {
		if _, ok := s.decl[name]; !ok {
			return fmt.Errorf("secret %q is not declared", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.decl)) {
		d := s.decl[name]
		v, found, err := s.lookup(d)
		switch {
		case err != nil && (slices.Contains(needed, name) || !errors.Is(err, fs.ErrNotExist)):
			return err
		case found:
			s.redactor.Add(v)
			s.values[name] = v
		case slices.Contains(needed, name) && (d.Prompt == "" || !s.term.interactive()):
			return withHint(fmt.Errorf("secret %q has no value and there is no terminal to ask on", name),
				"set %s", sources(d))
		}
	}
	return nil
}

func sources(d plan.Secret) string {
	var s []string
	if d.Env != "" {
		s = append(s, "$"+d.Env)
	}
	if d.File != "" {
		s = append(s, "the file "+d.File)
	}
	if len(s) == 0 {
		return "no env or file declared"
	}
	return strings.Join(s, " or ")
}

// neededSecrets lists the secrets any step of p may reply with or hand to
// a local command.
func neededSecrets(p *plan.Plan) []string {
	seen := map[string]bool{}
	add := func(steps map[string][]plan.Step) {
		for _, list := range steps {
			for _, st := range list {
				if st.Sudo {
					seen[sudoSecret] = true
				}
				for _, name := range st.EnvSecrets {
					seen[name] = true
				}
				for _, r := range st.Expect {
					if r.SendSecret != "" {
						seen[r.SendSecret] = true
					}
				}
			}
		}
	}
	for _, stg := range p.Stages {
		add(stg.Steps)
		add(stg.Undo)
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ask reads a secret on the terminal, with the board held off it.
func (s *secretStore) ask(ctx context.Context, prompt string) (string, error) {
	if s.hold != nil {
		release := s.hold()
		defer release()
	}
	return s.term.readSecret(ctx, prompt)
}
