package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/ui/safetext"
)

// Owner says who holds a lock, written to {root}/.drover/lock/owner.
type Owner struct {
	User    string
	RunID   string // Unlock releases the lock only for this run id
	Runbook string
	Message string
	Time    time.Time // when the lock was taken; zero means now
}

// line is the owner line as stored: TIME RUNID USER RUNBOOK MESSAGE.
func (o Owner) line() string {
	t := o.Time
	if t.IsZero() {
		t = time.Now()
	}
	return strings.Join([]string{t.UTC().Format(timeLayout), cleanField(o.RunID),
		cleanField(o.User), cleanField(o.Runbook), cleanField(o.Message)}, "\t")
}

// String describes the owner for a person.
func (o Owner) String() string {
	s := fmt.Sprintf("%s (run %s, runbook %s, since %s)", orDash(o.User), orDash(o.RunID),
		orDash(o.Runbook), o.Time.Format(timeLayout))
	if o.Message != "" {
		s += ": " + o.Message
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// LockInfo is a lock found on a host.
type LockInfo struct {
	Owner        // zero when the owner line is missing or damaged
	Line  string // the owner line as stored; "" when the owner file is missing
}

func parseLockInfo(line string) *LockInfo {
	info := &LockInfo{Line: line}
	if o, ok := parseOwner(line); ok {
		info.Owner = o
	}
	return info
}

// ParseOwner reads an owner line as stored in the lock (and as ForceUnlock
// returns it).
func ParseOwner(line string) (Owner, bool) { return parseOwner(line) }

func parseOwner(line string) (Owner, bool) {
	f := strings.SplitN(line, "\t", 5)
	if len(f) != 5 {
		return Owner{}, false
	}
	t, err := time.Parse(timeLayout, f[0])
	if err != nil {
		return Owner{}, false
	}
	return Owner{Time: t, RunID: field(f[1]), User: field(f[2]), Runbook: field(f[3]),
		Message: field(f[4])}, true
}

// LockedError reports a lock held by another run.
type LockedError struct {
	Root  string
	Owner string // the owner line as stored; "" when the lock has no owner file
}

func (e *LockedError) Error() string {
	if o, ok := parseOwner(e.Owner); ok {
		return fmt.Sprintf("%s is locked by %s", e.Root, o)
	}
	if e.Owner == "" {
		return fmt.Sprintf("%s is locked (no owner recorded)", e.Root)
	}
	return fmt.Sprintf("%s is locked by %q", e.Root, e.Owner)
}

// codeLocked is the exit status of a lock script that found another
// owner's lock; it then prints the owner line.
const codeLocked = 75

const lockScript = `lock="$root/.drover/lock"
mkdir -p "$root/.drover" || exit 1
if err=$(mkdir "$lock" 2>&1); then
	printf '%s\n' "$owner" > "$lock/owner" && exit 0
	rm -rf "$lock"
	exit 1
fi
if [ -d "$lock" ]; then
	# The owner is written right after mkdir: give a lock taken this
	# instant a moment to name its owner.
	i=0
	while [ ! -s "$lock/owner" ] && [ $i -lt 10 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	id=
	tab=$(printf '\t')
	[ -f "$lock/owner" ] && IFS="$tab" read -r t id rest < "$lock/owner"
	[ "$id" = "$run" ] && exit 0
	[ -f "$lock/owner" ] && cat "$lock/owner" 2>/dev/null
	exit 75
fi
printf '%s\n' "$err" >&2
exit 1
`

// Lock takes the lock under root for owner. Taking a lock the same run id
// already holds succeeds, so a retried Lock is harmless. A lock held by
// another run gives *LockedError.
func Lock(ctx context.Context, r Runner, root string, owner Owner) error {
	if err := checkRoot(root); err != nil {
		return err
	}
	if owner.RunID == "" {
		return errors.New("lock needs a run id")
	}
	out, err := r.Run(ctx, script(lockScript, "root", root, "owner", owner.line(),
		"run", cleanField(owner.RunID)))
	return lockResult(root, "lock", out, err)
}

// lockResult turns a lock script's result into *LockedError or a wrapped error.
func lockResult(root, doing string, out []byte, err error) error {
	if transport.ExitCode(err) == codeLocked {
		return &LockedError{Root: root, Owner: safetext.Line(strings.TrimRight(string(out), "\n"))}
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", doing, root, err)
	}
	return nil
}

const unlockScript = `lock="$root/.drover/lock"
[ -d "$lock" ] || exit 0
id=
tab=$(printf '\t')
[ -f "$lock/owner" ] && IFS="$tab" read -r t id rest < "$lock/owner"
if [ "$id" = "$run" ]; then
	rm -rf "$lock" || exit 1
	exit 0
fi
[ -f "$lock/owner" ] && cat "$lock/owner" 2>/dev/null
exit 75
`

// Unlock releases the lock under root if runID holds it. No lock is not an
// error; a lock held by another run gives *LockedError and stays.
func Unlock(ctx context.Context, r Runner, root, runID string) error {
	if err := checkRoot(root); err != nil {
		return err
	}
	out, err := r.Run(ctx, script(unlockScript, "root", root, "run", cleanField(runID)))
	return lockResult(root, "unlock", out, err)
}

const forceUnlockScript = `lock="$root/.drover/lock"
[ -d "$lock" ] || exit 0
o=
[ -f "$lock/owner" ] && IFS= read -r o < "$lock/owner"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ) || exit 1
hist="$root/.drover/history"
if [ -e "$hist" ] && [ ! -f "$hist" ]; then
	printf '%s is not a regular file\n' "$hist" >&2
	exit 1
fi
printf '%s\t-\t%s\tunlock\t%s\n' "$now" "$who" "${o:--}" >> "$hist" || exit 1
rm -rf "$lock" || exit 1
printf '%s\n' "$o"
`

// ForceUnlock removes the lock under root whoever holds it and records in
// the history that who removed it. It returns the removed owner line; ""
// and no error when there was no lock.
func ForceUnlock(ctx context.Context, r Runner, root, who string) (owner string, err error) {
	if err := checkRoot(root); err != nil {
		return "", err
	}
	out, err := r.Run(ctx, script(forceUnlockScript, "root", root, "who", cleanField(who)))
	if err != nil {
		return "", fmt.Errorf("force unlock %s: %w", root, err)
	}
	return safetext.Line(strings.TrimRight(string(out), "\n")), nil
}
