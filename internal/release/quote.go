package release

import (
	"errors"
	"fmt"
	"strings"

	"github.com/drover-sh/drover/internal/shell"
)

// Quote returns s as one single-quoted POSIX shell word (see shell.Quote).
func Quote(s string) string { return shell.Quote(s) }

// ErrBadID is wrapped by the error for a release id that is not safe to use
// as a directory name under releases/.
var ErrBadID = errors.New("invalid release id")

// maxIDLen is the longest release id, one path element on any file system.
const maxIDLen = 255

// CheckID reports whether id is a usable release id: one path element of
// letters, digits and . _ - + : @ , =, not starting with a dot (hidden
// names are the temporary names of uploads and prunes), not holding
// ".drover-tmp" or ".drover-old" (the temporary names older uploads left
// in plain sight), and not the word Previous, which names a host's
// previous release.
func CheckID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrBadID)
	case id == Previous:
		return fmt.Errorf("%w %q: reserved for the previous release", ErrBadID, id)
	case len(id) > maxIDLen:
		return fmt.Errorf("%w: longer than %d bytes", ErrBadID, maxIDLen)
	case id[0] == '.':
		return fmt.Errorf("%w %q: starts with a dot", ErrBadID, id)
	case strings.Contains(id, ".drover-tmp") || strings.Contains(id, ".drover-old"):
		// Uploads once used these names next to the release; one killed
		// midway left a half tree that must never count as a release.
		return fmt.Errorf("%w %q: the name of an unfinished upload", ErrBadID, id)
	}
	for _, c := range id {
		if !idChar(c) {
			return fmt.Errorf("%w %q: %q is not allowed", ErrBadID, id, c)
		}
	}
	return nil
}

func idChar(c rune) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.ContainsRune("._-+:@,=", c)
}

// checkRoot rejects roots no snippet can work with.
func checkRoot(root string) error {
	if root == "" {
		return errors.New("release root is empty")
	}
	if strings.ContainsAny(root, "\x00\n") {
		return fmt.Errorf("release root %q holds a NUL or newline", root)
	}
	return nil
}

// script builds a shell script that first assigns each name to its quoted
// value and then runs body. body refers to the values only as "$name", so no
// caller-supplied text is ever parsed as shell code. vars are name, value
// pairs; names are constants of this package.
func script(body string, vars ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(vars); i += 2 {
		b.WriteString(vars[i] + "=" + Quote(vars[i+1]) + "\n")
	}
	b.WriteString(body)
	return b.String()
}
