// Package secret hands out the values of a run's secrets: from the
// environment, a file only its owner may read, or a one-time prompt, each
// value registered with the redactor before it is used. It does not know
// where secrets are declared (package runbook) or how a prompt is drawn
// (the caller's Prompter), and it never puts a value in an error.
package secret

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/redact"
)

// hinted adds a suggestion for the person running drover to err, as the
// hint type the CLI prints.
func hinted(err error, format string, args ...any) error {
	return &inventory.HintError{Err: err, Hint: fmt.Sprintf(format, args...)}
}

// Prompter asks a person for a secret. Interactive reports whether there
// is a terminal to ask on; ReadSecret asks, without echo, and returns
// when ctx ends.
type Prompter interface {
	Interactive() bool
	ReadSecret(ctx context.Context, prompt string) (string, error)
}

// Store hands out secret values on first use: from the environment, a
// file, or a one-time prompt. Every value it learns goes to the redactor
// before anyone else sees it. It is safe for concurrent use; a host that
// needs a value being asked for waits for the answer.
type Store struct {
	mu       sync.Mutex
	decl     map[string]plan.Secret
	values   map[string]string
	getenv   func(string) string
	term     Prompter
	redactor *redact.Redactor
	// Hold, when set, keeps a live display off the terminal while a
	// secret is asked for; it returns the release.
	Hold func() func()
}

// NewStore returns the store of the declared secrets decl, which always
// has plan.SudoSecret (from $DROVER_SUDO_PASSWORD or a prompt unless decl
// says otherwise). getenv reads the environment; term asks.
func NewStore(decl map[string]plan.Secret, getenv func(string) string, term Prompter, r *redact.Redactor) *Store {
	d := maps.Clone(decl)
	if d == nil {
		d = map[string]plan.Secret{}
	}
	if _, ok := d[plan.SudoSecret]; !ok {
		d[plan.SudoSecret] = plan.Secret{Name: plan.SudoSecret, Env: "DROVER_SUDO_PASSWORD", Prompt: "sudo password"}
	}
	return &Store{decl: d, values: map[string]string{}, getenv: getenv, term: term, redactor: r}
}

// Get returns the value of secret name, asking for it once if it must.
func (s *Store) Get(ctx context.Context, name string) (string, error) {
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
		if d.Prompt == "" || !s.term.Interactive() {
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
func (s *Store) lookup(d plan.Secret) (string, bool, error) {
	if d.Env != "" {
		if v := s.getenv(d.Env); v != "" {
			return v, true, nil
		}
	}
	if d.File != "" {
		v, err := readSecretFile(s.path(d.File))
		if err != nil {
			return "", false, fmt.Errorf("secret %q: %w", d.Name, err)
		}
		return v, true, nil
	}
	return "", false, nil
}

// path expands a leading "~/" in a secret file's name to the local home,
// as the inventory does for identity and known_hosts files.
func (s *Store) path(name string) string {
	if rest, ok := strings.CutPrefix(name, "~/"); ok {
		if home := s.getenv("HOME"); home != "" {
			return filepath.Join(home, rest)
		}
	}
	return name
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
		return "", hinted(fmt.Errorf("%s can be read or written by others than its owner (mode %04o)", name, perm),
			"chmod 600 %s", name)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Preload learns every secret that is available without asking, so the
// redactor knows it before the first byte of output whether or not a step
// uses it, and checks that every needed secret can be had: one without a
// value and without a terminal to ask on stops the run before it starts,
// and so does a secret file that others may read.
func (s *Store) Preload(needed []string) error {
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
		case slices.Contains(needed, name) && (d.Prompt == "" || !s.term.Interactive()):
			return hinted(fmt.Errorf("secret %q has no value and there is no terminal to ask on", name),
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

// ask reads a secret on the terminal, with the board held off it.
func (s *Store) ask(ctx context.Context, prompt string) (string, error) {
	if s.Hold != nil {
		release := s.Hold()
		defer release()
	}
	return s.term.ReadSecret(ctx, prompt)
}
