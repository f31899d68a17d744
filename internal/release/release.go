// Package release performs drover's operations on a host's release tree
// (DESIGN §6): reading which release a host runs and ran before, switching
// the current symlink atomically, pruning old releases and holding the farm
// lock. Each operation is one small POSIX sh script, run through a Runner
// (over a transport.Conn in production, a local sh in tests); hosts need only
// a POSIX sh (dash, bash, BusyBox ash) and ln, mv, readlink, mkdir, rm, cat,
// tail, test, date and sleep, from GNU coreutils or BusyBox: no script uses
// an option only GNU has (such as mv -T).
//
// Every script has a deadline (ConnRunner.Timeout) and reads only regular
// files, so a FIFO or a hung mount on a host cannot hang a run. Text a host
// wrote (lock owners, history fields, stderr in errors) is handed on
// sanitized for the terminal (package ui/safetext).
//
// It also holds the release policy of a run: a Switcher resolves
// "previous" per run, switches, prunes after a good switch and marks bad
// what a rollback leaves; CheckSwitch decides before any switch whether
// the hosts have the target and agree on "previous"; a FarmLock takes the
// lock on many hosts in a safe order and releases it on every path.
//
// It does not upload releases, restart services, dial hosts or render
// anything: callers connect, and show the states it returns.
//
// # Layout on a host
//
//	{root}/releases/ID/        a release; hidden names (.x) are ignored
//	{root}/current             symlink to releases/ID (relative)
//	{root}/.drover/history     the audit trail, one line per event
//	{root}/.drover/lock/owner  present while a run holds the farm
//
// Release ids are one path element of letters, digits and . _ - + : @ , =
// (see CheckID); ids that sort by name sort by age when they are dated. The
// word "previous" is not an id: State.Resolve turns it into one.
//
// # History format
//
// Tab-separated fields, "-" for an empty one, times in UTC as
// 2006-01-02T15:04:05Z:
//
//	TIME  RUNID  USER  switch  FROM  TO      current moved from FROM to TO
//	TIME  RUNID  USER  bad     RELEASE       RELEASE was rolled back from
//	TIME  -      USER  unlock  OWNERLINE     USER removed a lock held by OWNERLINE
//	TIME  RUNID  USER  undone  FROM  TO      the switch FROM -> TO recorded just
//	                                         before did not happen (current could
//	                                         not be moved); reading drops both
//
// A switch is recorded before current moves, so a host whose session broke
// mid-switch still has the record an undo needs.
//
// # Previous
//
// A host's previous release is the release it ran before its last switch,
// read from its history, never "the second newest directory": walking the
// switch lines from the newest back, the first FROM that is neither the
// current release nor bad. A release is bad from its bad line until a later
// switch to it (an operator switching to it on purpose clears the mark).
// So after A->B, B->C previous is B; after rolling back C->B (C marked bad)
// previous is A.
//
// # Lock
//
// The owner file holds one line: TIME RUNID USER RUNBOOK MESSAGE,
// tab-separated like the history. mkdir of the lock directory is the atomic
// step; the owner line is written right after it.
package release

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/drover-sh/drover/internal/ui/safetext"
)

// State is what a host's release tree says about itself.
type State struct {
	Current   string    // the release current points to; "" when there is no current
	Previous  string    // see the package doc; "" when the history has none
	Available []string  // the releases present under releases/, sorted by name
	Bad       []string  // releases marked bad and not switched to since
	History   []Entry   // oldest first
	Lock      *LockInfo // nil when no run holds the lock
}

// Has reports whether id is among the available releases.
func (s State) Has(id string) bool {
	return slices.Contains(s.Available, id)
}

// readScript prints one tagged line per fact, then the history verbatim.
// It reads only regular files (test -f first): cat of a FIFO left where
// the owner file or the history should be would block for ever. A history
// that exists and is no regular file is an error, not an empty history,
// or "previous" would silently go wrong.
const readScript = `[ -d "$root" ] || exit 0
hist="$root/.drover/history"
if [ -e "$hist" ] && [ ! -f "$hist" ]; then
	printf '%s is not a regular file\n' "$hist" >&2
	exit 1
fi
printf 'current\t%s\n' "$(readlink "$root/current" 2>/dev/null)"
for d in "$root"/releases/*/; do
	[ -d "$d" ] || continue
	d=${d%/}
	printf 'release\t%s\n' "${d##*/}"
done
if [ -d "$root/.drover/lock" ]; then
	o=
	[ -f "$root/.drover/lock/owner" ] && o=$(cat "$root/.drover/lock/owner" 2>/dev/null)
	printf 'lock\t%s\n' "$o"
fi
echo history
[ -f "$hist" ] && cat "$hist" 2>/dev/null
exit 0
`

// Read reads the release tree under root. A root that does not exist reads
// as an empty State.
func Read(ctx context.Context, r Runner, root string) (State, error) {
	if err := checkRoot(root); err != nil {
		return State{}, err
	}
	out, err := r.Run(ctx, script(readScript, "root", root))
	if err != nil {
		return State{}, fmt.Errorf("read releases under %s: %w", root, err)
	}
	return parseState(string(out)), nil
}

func parseState(out string) State {
	var st State
	head, hist, _ := strings.Cut(out, "\nhistory\n")
	for line := range strings.Lines(head) {
		tag, val, _ := strings.Cut(strings.TrimRight(line, "\n"), "\t")
		switch tag {
		case "current":
			st.Current = linkRelease(val)
		case "release":
			if CheckID(val) == nil {
				st.Available = append(st.Available, val)
			}
		case "lock":
			st.Lock = parseLockInfo(safetext.Line(val))
		}
	}
	slices.Sort(st.Available)
	st.History = parseHistory(hist)
	st.Bad = badReleases(st.History)
	st.Previous = previous(st.History, st.Current)
	return st
}

// linkRelease names the release a current link points to: its last path
// element, whether the link is releases/ID or an absolute path.
func linkRelease(target string) string {
	target = strings.TrimRight(target, "/")
	return target[strings.LastIndex(target, "/")+1:]
}
