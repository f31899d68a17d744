package engine

import "testing"

// TestStepRunner: a step that may replace its shell's traps or the shell
// itself runs in a subshell; any other in the job's own shell.
func TestStepRunner(t *testing.T) {
	for cmd, want := range map[string]string{
		"true":                               "d_run",
		"/bin/echo step":                     "d_run",
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
