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
// renames a fresh symlink over current (rename(2) is atomic, so a reader sees
// the old or the new release, never nothing), then appends to the history.
// It prints the release current pointed to before.
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
hist="$root/.drover/history"
mkdir -p "$root/.drover" && : >> "$hist" || exit 1
tmp="$root/current.tmp.$$"
ln -sfn "releases/$id" "$tmp" || exit 1
if ! mv -T "$tmp" "$root/current"; then
	rm -f "$tmp"
	exit 1
fi
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf '%s\t%s\t%s\tswitch\t%s\t%s\n' "$now" "$run" "$user" "${from:--}" "$id" >> "$hist" || exit 1
if [ "$rollback" = 1 ] && [ -n "$from" ]; then
	printf '%s\t%s\t%s\tbad\t%s\n' "$now" "$run" "$user" "$from" >> "$hist" || exit 1
fi
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
