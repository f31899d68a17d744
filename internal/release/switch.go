package release

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/drover-sh/drover/internal/transport"
)

// Meta says who switches and why, for the history.
type Meta struct {
	RunID    string
	User     string
	Rollback bool // mark the release switched away from as bad
}

// ErrMissing is wrapped by Switch's error when the target release is not
// present on the host; nothing was changed.
var ErrMissing = errors.New("release is missing")

// codeMissing is the exit status of the switch script for a missing release.
const codeMissing = 3

// switchScript checks everything it can before the first change, then
// records the switch in the history, then renames a fresh symlink over
// current (rename(2) is atomic, so a reader sees the old or the new
// release, never nothing). It prints the release current pointed to before.
//
// The rename needs no GNU mv -T, which BusyBox builds may lack: the new
// link is made as "current" in an empty directory of its own under root,
// and moved into root. mv with a directory as its last operand renames
// SRC to DIR/NAME with one rename(2) and never looks into DIR/NAME, so
// current is replaced even though it is a link to a directory (where
// `mv link current` would move the link into the release). The directory
// is hidden and removed on exit; a real directory at current fails the
// rename and is left as it is.
//
// The record comes first: if it cannot be written (a full disk) nothing has
// changed, and once current has moved the history already says so, so an
// undo finds where this run took the host from even when the session
// breaks right after the rename. The switch line and its bad line go out
// in one write; a torn last line left by an earlier failed write is fenced
// with a line break first, so it cannot swallow this record. If current
// then cannot be moved, an undone line withdraws the record.
const switchScript = `rel="$root/releases/$id"
if [ ! -d "$rel" ]; then
	printf 'no such release: %s\n' "$rel" >&2
	exit 3
fi
from=$(readlink "$root/current" 2>/dev/null) || from=
from=${from%/}
from=${from##*/}
if [ "$from" = "$id" ]; then
	printf '%s\n' "$from"
	exit 0
fi
if [ -d "$root/current" ] && [ ! -L "$root/current" ]; then
	printf '%s is a directory, not a link: left as it is\n' "$root/current" >&2
	exit 1
fi
hist="$root/.drover/history"
mkdir -p "$root/.drover" || exit 1
if [ -e "$hist" ] && [ ! -f "$hist" ]; then
	printf '%s is not a regular file\n' "$hist" >&2
	exit 1
fi
now=$(date -u +%Y-%m-%dT%H:%M:%SZ) || exit 1
tab=$(printf '\t')
rec="$now$tab$run$tab$user${tab}switch$tab${from:--}$tab$id"
if [ "$rollback" = 1 ] && [ -n "$from" ]; then
	rec="$rec
$now$tab$run$tab$user${tab}bad$tab$from"
fi
if [ -s "$hist" ] && [ -n "$(tail -c 1 "$hist")" ]; then
	rec="
$rec"
fi
printf '%s\n' "$rec" >> "$hist" || exit 1
undone() {
	printf '%s\t%s\t%s\tundone\t%s\t%s\n' "$now" "$run" "$user" "${from:--}" "$id" >> "$hist"
	exit 1
}
stage="$root/.drover-switch.$$"
rm -rf "$stage"
mkdir "$stage" || undone
trap 'rm -rf "$stage"' EXIT
ln -s "releases/$id" "$stage/current" || undone
mv -f "$stage/current" "$root" || undone
printf '%s\n' "$from"
`

// Switch points {root}/current at releases/to and records the switch in the
// history; with meta.Rollback it also marks the release it left as bad. It
// returns the release current pointed to before ("" when there was none).
// Switching to the current release changes and records nothing, so a retried
// Switch is harmless. A missing release fails with ErrMissing before anything
// changes.
func Switch(ctx context.Context, r Runner, root, to string, meta Meta) (from string, err error) {
	if err := checkRoot(root); err != nil {
		return "", err
	}
	if err := CheckID(to); err != nil {
		return "", fmt.Errorf("switch %s: %w", root, err)
	}
	rollback := "0"
	if meta.Rollback {
		rollback = "1"
	}
	out, err := r.Run(ctx, script(switchScript, "root", root, "id", to,
		"run", cleanField(meta.RunID), "user", cleanField(meta.User), "rollback", rollback))
	if transport.ExitCode(err) == codeMissing {
		return "", fmt.Errorf("switch %s to %s: %w (%w)", root, to, ErrMissing, err)
	}
	if err != nil {
		return "", fmt.Errorf("switch %s to %s: %w", root, to, err)
	}
	return strings.TrimRight(string(out), "\n"), nil
}
