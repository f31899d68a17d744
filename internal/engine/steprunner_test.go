package engine

import "testing"

// TestStepRunner: one call of a builtin with literal words that touches
// no file runs in the host shell itself; a step that may replace its shell's traps or the
// shell itself runs in a subshell; any other in the job's own shell.
func TestStepRunner(t *testing.T) {
	for cmd, want := range map[string]string{
		"true":                               "d_in",
		"[ prod = prod ]":                    "d_in",
		"test 3 -gt 2 -a ! -z x":             "d_in",
		"[ staging != prod ]":                "d_in",
		"echo trap exec":                     "d_in",
		"printf '%s %s' \"a b\" c":           "d_in",
		"false\t":                            "d_in",
		"test -f /srv/app/current/app.bin":   "d_run",
		"[ -L current ]":                     "d_run",
		"test a -nt b":                       "d_run",
		"[ '-d' /srv ]":                      "d_run",
		"echo /srv/*":                        "d_run",
		"echo release-?":                     "d_run",
		"echo [ab]":                          "d_run",
		"/bin/echo step":                     "d_run",
		"'true'":                             "d_run",
		"x=1 true":                           "d_run",
		"true; cd /":                         "d_run",
		"true\ncd /":                         "d_run",
		"test -f a && rm a":                  "d_run",
		"echo $HOME":                         "d_run",
		"echo ${x:=1}":                       "d_run",
		"echo `id`":                          "d_run",
		"echo hi > f":                        "d_run",
		"printf '%s\\n' a":                   "d_run",
		"echo ~":                             "d_run",
		"echo a # comment":                   "d_run",
		"cd /":                               "d_run",
		"./execute.sh; trapdoor; mytrap":     "d_run",
		"exec_x=1; x_exec=2":                 "d_run",
		"trap 'rm -f $tmp' EXIT; work":       "d_sub",
		"exec app":                           "d_sub",
		"cd /srv && exec ./run":              "d_sub",
		"find . -name '*.tmp' -exec rm {} +": "d_sub",
		"f() {\ntrap - TERM\n}":              "d_sub",
	} {
		if got := stepRunner(cmd); got != want {
			t.Errorf("stepRunner(%q) = %s, want %s", cmd, got, want)
		}
	}
}
