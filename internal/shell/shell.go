// Package shell builds words for a POSIX shell command line. It quotes; it
// runs nothing.
package shell

import "strings"

// Quote returns s as one single-quoted POSIX shell word: every byte of s
// reaches the command as it is, with no expansion of any kind.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
