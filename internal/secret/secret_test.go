package secret

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/redact"
)

// noTerminal is a Prompter with nobody to ask.
type noTerminal struct{}

func (noTerminal) Interactive() bool { return false }
func (noTerminal) ReadSecret(context.Context, string) (string, error) {
	return "", errors.New("no terminal")
}

// answers is a Prompter that answers every prompt with its value and
// counts the prompts.
type answers struct {
	value string
	asked int
}

func (a *answers) Interactive() bool { return true }
func (a *answers) ReadSecret(context.Context, string) (string, error) {
	a.asked++
	return a.value, nil
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestStoreSources(t *testing.T) {
	dir := t.TempDir()
	good, loose := filepath.Join(dir, "good"), filepath.Join(dir, "loose")
	os.WriteFile(good, []byte("from-file\n"), 0o600)
	os.WriteFile(loose, []byte("x"), 0o644)
	decl := map[string]plan.Secret{
		"token": {Name: "token", Env: "TOKEN"},
		"key":   {Name: "key", File: good},
		"loose": {Name: "loose", File: loose},
		"home":  {Name: "home", File: "~/good"},
		"asked": {Name: "asked", Prompt: "asked"},
	}
	term := &answers{value: "typed"}
	r := redact.New()
	s := NewStore(decl, env(map[string]string{"TOKEN": "from-env", "DROVER_SUDO_PASSWORD": "pw", "HOME": dir}), term, r)
	for name, want := range map[string]string{"token": "from-env", "key": "from-file", "home": "from-file", "asked": "typed", "sudo": "pw"} {
		got, err := s.Get(t.Context(), name)
		if err != nil || got != want {
			t.Errorf("Get(%s) = %q, %v; want %q", name, got, err, want)
		}
		if out := r.String("x " + want + " y"); strings.Contains(out, want) {
			t.Errorf("redactor does not hide %s: %q", name, out)
		}
	}
	s.Get(t.Context(), "asked")
	if term.asked != 1 {
		t.Errorf("asked %d times, want once", term.asked)
	}
	var h *inventory.HintError
	if _, err := s.Get(t.Context(), "loose"); !errors.As(err, &h) || !strings.Contains(h.Hint, "chmod 600") {
		t.Errorf("Get(loose) = %v, want a chmod hint", err)
	}
}

// TestPreloadWithoutTerminal: a needed secret with no value and nobody to
// ask stops the run before it starts; one that is not needed does not.
func TestPreloadWithoutTerminal(t *testing.T) {
	decl := map[string]plan.Secret{"asked": {Name: "asked", Prompt: "asked"}}
	s := NewStore(decl, env(nil), noTerminal{}, redact.New())
	if err := s.Preload(nil); err != nil {
		t.Fatalf("Preload(nothing needed) = %v", err)
	}
	if err := s.Preload([]string{"asked"}); err == nil || !strings.Contains(err.Error(), "no terminal to ask on") {
		t.Fatalf("Preload(asked) = %v, want no terminal", err)
	}
	if err := s.Preload([]string{"undeclared"}); err == nil {
		t.Fatal("Preload(undeclared) = nil")
	}
}
