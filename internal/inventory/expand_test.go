package inventory

import (
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		want    []string
	}{
		{"plain name", "db1.example.com", []string{"db1.example.com"}},
		{"zero padding kept", "web[01:03]", []string{"web01", "web02", "web03"}},
		{"padding across widths", "web[08:10]", []string{"web08", "web09", "web10"}},
		{"no padding", "web[9:11]", []string{"web9", "web10", "web11"}},
		{"letters", "rack[a:c]", []string{"racka", "rackb", "rackc"}},
		{"upper letters", "[X:Z]1", []string{"X1", "Y1", "Z1"}},
		{"two ranges", "r[1:2]n[a:b]", []string{"r1na", "r1nb", "r2na", "r2nb"}},
		{"comma items", "web[01:02,07]", []string{"web01", "web02", "web07"}},
		{"dash span", "web[01-03]", []string{"web01", "web02", "web03"}},
		{"single item", "web[5]", []string{"web5"}},
		{"suffix kept", "webserv[1:2].example.com", []string{"webserv1.example.com", "webserv2.example.com"}},
		{"user and port", "deploy@web[1:2]:2222", []string{"deploy@web1:2222", "deploy@web2:2222"}},
		{"literal user@host:port", "root@10.0.0.1:22", []string{"root@10.0.0.1:22"}},
		{"ipv6 without port", "fe80::1", []string{"fe80::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.pattern)
			if err != nil {
				t.Fatalf("Expand(%q): %v", tt.pattern, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Expand(%q) = %q, want %q", tt.pattern, got, tt.want)
			}
		})
	}
}

func TestExpandMalformed(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		wantErr string
	}{
		{"unclosed", "web[01:03", "'[' without ']'"},
		{"stray close", "web01]", "']' without '['"},
		{"nested", "web[[1:2]]", "nested '['"},
		{"empty range", "web[]", "empty range"},
		{"missing end", "web[1:]", "missing start or end"},
		{"descending", "web[5:1]", "start 5 is after end 1"},
		{"mixed kinds", "web[1:c]", "want two numbers or two single letters"},
		{"multi letter", "web[aa:c]", "want two numbers or two single letters"},
		{"mixed case", "web[a:C]", "mixes upper and lower case"},
		{"too many", "web[1:100000000]", "more than 65536 names"},
		{"product too large", "w[1:300][1:300]", "more than 65536 names"},
		{"bad port", "web1:http", `bad port "http"`},
		{"port out of range", "web1:70000", `bad port "70000"`},
		{"range in user", "u[1:2]@web", "ranges are not allowed in the user part"},
		{"empty user", "@web", "empty user"},
		{"two ats", "a@b@c", "more than one '@'"},
		{"empty host", "deploy@", "empty host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Expand(tt.pattern)
			if err == nil {
				t.Fatalf("Expand(%q): no error, want %q", tt.pattern, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.pattern) {
				t.Errorf("Expand(%q) error = %q, want it to name the pattern and say %q", tt.pattern, err, tt.wantErr)
			}
		})
	}
}

// TestControlCharacters: a control character in a target is refused,
// quoted in the message so that it cannot garble the terminal.
func TestControlCharacters(t *testing.T) {
	for _, s := range []string{"web\n1", "de\x00ploy@web", "web:22\x1b[2K"} {
		_, errE := Expand(s)
		_, errP := ParseTarget(s)
		for _, err := range []error{errE, errP} {
			if err == nil || !strings.Contains(err.Error(), "control character") || strings.ContainsAny(err.Error(), "\n\x00\x1b") {
				t.Errorf("%q: error %q, want a quoted control character error", s, err)
			}
		}
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Target
	}{
		{"name", "web1", Target{Host: "web1"}},
		{"user", "deploy@web1", Target{User: "deploy", Host: "web1"}},
		{"port", "web1:2222", Target{Host: "web1", Port: 2222}},
		{"all", "deploy@10.0.0.1:2222", Target{User: "deploy", Host: "10.0.0.1", Port: 2222}},
		{"ipv6", "deploy@::1", Target{User: "deploy", Host: "::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseTarget(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"plain", "a,b", []string{"a", "b"}},
		{"commas inside ranges", "web[01:03,07],db1", []string{"web[01:03,07]", "db1"}},
		{"spaces and empties", " a , ,b,", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SplitList(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("SplitList(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
