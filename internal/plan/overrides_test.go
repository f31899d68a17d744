package plan

import (
	"regexp"
	"strings"
	"testing"
)

func TestOverridesValidate(t *testing.T) {
	tests := []struct {
		name string
		o    Overrides
		want string // "" is valid
	}{
		{"none", Overrides{}, ""},
		{"parallel", Overrides{Parallel: 3, Batches: "1,25%,100%"}, ""},
		{"negative parallel", Overrides{Parallel: -1}, "--parallel -1: want 1 or more"},
		{"bad batches", Overrides{Batches: "1,x"}, "--batches: "},
		{"shrinking batches", Overrides{Batches: "50%,10%"}, "--batches: 10% after 50%: batches must not shrink"},
		{"counts then percentages", Overrides{Batches: "5,1%,2,100%"}, "--batches: 2 after 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.HasPrefix(err.Error(), tt.want)) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestOverridesCopy: Stage and AddSecrets return new values and leave
// what they were given as it was, so a plan built once stays as built.
func TestOverridesCopy(t *testing.T) {
	own := ExpectRule{Match: regexp.MustCompile("own"), Send: "a"}
	in := Stage{Parallel: 32, Steps: map[string][]Step{"h": {{Name: "s", Expect: make([]ExpectRule, 1, 4)}}}}
	in.Steps["h"][0].Expect[0] = own
	o := Overrides{Parallel: 2, Batches: "1,100%", Sudo: true,
		Expect:  []ExpectRule{{Match: regexp.MustCompile("added"), Send: "y"}},
		Secrets: map[string]Secret{"pw": {Name: "pw"}}}
	out := o.Stage(in)
	got := out.Steps["h"][0]
	if out.Parallel != 2 || len(out.Batches) != 2 || !got.Sudo || len(got.Expect) != 2 || got.Expect[1].Send != "y" {
		t.Fatalf("Stage = %+v, want the overrides", out)
	}
	orig := in.Steps["h"][0]
	if in.Parallel != 32 || in.Batches != nil || orig.Sudo || len(orig.Expect) != 1 || orig.Expect[:2][1].Match != nil {
		t.Fatalf("Stage changed its input: %+v", in)
	}
	decl := map[string]Secret{"token": {Name: "token"}}
	all := o.AddSecrets(decl)
	if len(all) != 2 || len(decl) != 1 {
		t.Fatalf("AddSecrets = %v, input now %v", all, decl)
	}
}
