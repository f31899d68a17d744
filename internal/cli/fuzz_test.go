package cli

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseSets: --set NAME=VALUE splits at the first '=', keeps the value
// byte for byte (it may hold '=' and anything else), and refuses what has
// no name, saying which flag and that it is bad usage.
func FuzzParseSets(f *testing.F) {
	for _, s := range []string{"release=r9", "k=", "=v", "novalue", "a=b=c", "root=/srv/app", "k=\x00\n", "ü=ß", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sets, err := parseSets([]string{s})
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("parseSets(%q) error %v: want a usage error naming the flag", s, err)
			}
			return
		}
		if len(sets) != 1 {
			t.Fatalf("parseSets(%q) = %v, want one param", s, sets)
		}
		for k, v := range sets {
			if k == "" || strings.Contains(k, "=") || k+"="+v != s {
				t.Fatalf("parseSets(%q) = %q=%q, which does not write back", s, k, v)
			}
		}
	})
}

// secretEnv is what an --expect secret's environment variable looks like:
// a name the shell can set.
var secretEnv = regexp.MustCompile(`^DROVER_SECRET_[A-Z0-9_]+$`)

// FuzzParseExpect: --expect 'REGEX=>REPLY' splits at the first "=>", the
// rule matches what the regexp says and answers once; a secret: reply names
// a secret whose variable can be set; refusals name the flag.
func FuzzParseExpect(f *testing.F) {
	for _, s := range []string{`Overwrite \(y/n\)\? $=>y`, `(?i)password:=>secret:db-pass`, `x=>`, `=>y`, `y`, `[=>y`,
		`a=>b=>c`, `p=>secret:`, `p=>secret:a.b`, `p=>secret:a b`, `p=>secret:a=b`, "p=>secret:\x00", `(?s).*=>\n`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rules, secrets, err := parseExpectFlags([]string{s})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--expect "+strconv.Quote(s)+": ") {
				t.Fatalf("parseExpectFlags(%q) error %q does not name the flag", s, err)
			}
			return
		}
		re, reply, _ := strings.Cut(s, "=>")
		if len(rules) != 1 || rules[0].Match.String() != re || rules[0].Max != 1 {
			t.Fatalf("parseExpectFlags(%q) = %+v", s, rules)
		}
		r := rules[0]
		name, isSecret := strings.CutPrefix(reply, "secret:")
		switch {
		case isSecret && (r.SendSecret != name || r.Send != "" || len(secrets) != 1):
			t.Fatalf("secret reply %q: rule %+v, secrets %v", reply, r, secrets)
		case isSecret && !secretEnv.MatchString(secrets[name].Env):
			t.Fatalf("secret %q is read from $%s, which no shell can set", name, secrets[name].Env)
		case !isSecret && (r.Send != reply || r.SendSecret != "" || len(secrets) != 0):
			t.Fatalf("reply %q: rule %+v, secrets %v", reply, r, secrets)
		}
	})
}
