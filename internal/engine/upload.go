package engine

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/shell"
)

// upload copies a local file or directory tree to the host. The data is
// written under a temporary name next to the target and renamed into
// place, so a reader sees the old target or the new one, never half of it.
// Modes are kept.
func (hr *hostRun) upload(ctx context.Context, st plan.Step) outcome {
	// A source given as a symlink (build/current -> build/r42) is the tree
	// it points to; links inside the tree are copied as links.
	src, err := filepath.EvalSymlinks(st.Arg)
	if err != nil {
		return failed(fmt.Errorf("upload: %w", err))
	}
	st.Arg = src
	info, err := os.Stat(st.Arg)
	if err != nil {
		return failed(fmt.Errorf("upload: %w", err))
	}
	if !info.IsDir() {
		return hr.uploadFile(ctx, st, info)
	}
	if err := hr.uploadDir(ctx, st); err != nil {
		return failed(fmt.Errorf("upload %s to %s: %w", st.Arg, st.To, err))
	}
	return okOutcome
}

// uploadDir sends the tree at st.Arg: only what changed against the
// host's base release when it has one (see delta.go), else all of it.
func (hr *hostRun) uploadDir(ctx context.Context, st plan.Step) error {
	t, err := hr.s.r.trees.get(st.Arg)
	if err != nil {
		return err
	}
	if st.Base != plan.NoBase {
		return hr.uploadOneSession(ctx, st, t)
	}
	s, err := hr.s.r.streams.get(t, nil)
	if err != nil {
		return err
	}
	f, err := os.Open(s.file)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := hr.command(ctx, "sh -c "+shell.Quote(dirScript(st.To, s)), commandOpts{timeout: st.Timeout, stdin: f, step: st.Name}); err != nil {
		return err
	}
	hr.output(commandOpts{step: st.Name}, s.report(""))
	return nil
}

func (hr *hostRun) uploadFile(ctx context.Context, st plan.Step, info fs.FileInfo) outcome {
	f, err := os.Open(st.Arg)
	if err != nil {
		return failed(fmt.Errorf("upload: %w", err))
	}
	defer f.Close()
	script := fileScript(st.To, info.Mode().Perm(), info.Size())
	in := io.LimitReader(f, info.Size())
	err = hr.command(ctx, "sh -c "+shell.Quote(script), commandOpts{timeout: st.Timeout, stdin: in, step: st.Name})
	if err != nil {
		return failed(fmt.Errorf("upload %s to %s: %w", st.Arg, st.To, err))
	}
	return okOutcome
}

// Temporary names. An upload writes under a hidden name next to its
// target, .NAME.drover-tmp.PID (and moves an old tree aside as
// .NAME.drover-old.PID), so a run killed midway leaves nothing that looks
// like a release: release listings skip hidden names, and package release
// refuses them (and the visible NAME.drover-tmp.PID older versions left)
// as ids. The next upload of the same target removes what a killed one
// left, under either name; uploads of one target are serialised by the
// farm lock, so no other upload's temporary tree is removed.
const uploadPrelude = `set -e
d=%s
p=$(dirname "$d")
b=$(basename "$d")
t="$p/.$b.drover-tmp.$$"
o="$p/.$b.drover-old.$$"
mkdir -p "$p"
for x in "$p/.$b.drover-tmp."* "$p/.$b.drover-old."* "$p/$b.drover-tmp."* "$p/$b.drover-old."*; do
	if [ -e "$x" ] || [ -L "$x" ]; then rm -rf "$x"; fi
done
`

// An upload cut short must never be put in place. A stream that ends
// early looks like a finished one to the host: cat stops at end of input,
// and tar (GNU and BusyBox alike) exits 0 on a stream cut at a member
// boundary. So the host checks for proof of the whole: a file's size, and
// for a tree, an empty end marker written as the stream's last member,
// under a name drawn afresh for each run's stream (upStream.tag), which the
// host removes before the rename.

// fileScript writes stdin to a temporary file next to to, checks that all
// size bytes came, sets its mode and renames it over to.
func fileScript(to string, mode fs.FileMode, size int64) string {
	return fmt.Sprintf(uploadPrelude+`trap 'rm -f "$t"' EXIT
cat > "$t"
n=$(wc -c < "$t")
if [ $n -ne %d ]; then
	printf 'drover: the upload of %%s ended early (%%s of %d bytes): left as it was\n' "$d" $n >&2
	exit 1
fi
chmod %o "$t"
mv -f "$t" "$d"`, shell.Quote(to), size, size, mode)
}

// liveCheck defines and runs live, which fails the script when $d is the
// release current points to (for use in a fmt format: %% doubled).
const liveCheck = `case $p in */*) r=${p%%/*} ;; *) r=. ;; esac
live() {
	for c in "$r/current" "$p/current"; do
		[ -L "$c" ] && [ -d "$c" ] && [ -d "$d" ] || continue
		[ "$(cd "$c" && pwd -P)" = "$(cd "$d" && pwd -P)" ] || continue
		printf 'drover: %%s is the live release (%%s points to it): publish under a new release id, or switch away first\n' "$d" "$c" >&2
		exit 1
	done
}
live`

// placeTree renames the finished $t to $d, moving an old $d aside to $o
// first and back if the rename fails, after checking live once more.
const placeTree = `live
if [ -e "$d" ] || [ -L "$d" ]; then mv -f "$d" "$o"; fi
if [ -e "$d" ] || [ -L "$d" ]; then
	printf 'drover: %%s appeared during the upload: left as it is\n' "$d" >&2
	exit 1
fi
mv -f "$t" "$d" || { [ -e "$o" ] && mv -f "$o" "$d"; exit 1; }`

// dirScript unpacks a tar stream from stdin into a temporary directory
// next to to, then renames it into place (moving an old tree aside first).
//
// It refuses to replace the live release: a tree that {root}/current
// points to, where to is {root}/releases/ID (or {root}/current itself). Releases are never modified
// once published (DESIGN §6); no portable rename swaps two directories, so
// replacing it would leave current pointing at nothing for a moment and a
// running service between two trees. An operator who re-uploads the live
// release means to change what runs now, which is a new release id and a
// switch; so the upload fails, says so, and the live tree stays whole. It
// checks before the transfer (fail fast) and again right before the
// rename (current may have moved meanwhile).
//
// The renames need no GNU mv -T: each goes to a name that does not exist
// (the old tree's name is new, and the target is checked to be gone), so
// mv renames and never moves into a directory. If the new tree cannot be
// put in place, the old one goes back.
//
// Every stream carries the new tree's manifest, which the host keeps
// beside the tree as .NAME.drover-manifest for the next delta against it.
// dirScript sends a whole tree; oneSession sends a delta when the host
// has a base.
func dirScript(to string, s *upStream) string {
	return uploadBody(to, "mkdir \"$t\"\n", shell.Quote(s.endName()), shell.Quote(s.manifestName()))
}

// uploadBody is the host script of a tree upload after start, which
// makes $t; endName and manifestName are shell words naming the stream's
// own members.
func uploadBody(to, start, endName, manifestName string) string {
	return fmt.Sprintf(uploadPrelude+`m="$p/.$b.drover-manifest"
trap 'rm -rf "$t" "$o" "$m.$$"' EXIT
`+liveCheck+`
%[3]star -x -p -f - -C "$t"
if ! [ -f "$t/"%[2]s ]; then
	printf 'drover: the upload of %%s ended early: left as it was\n' "$d" >&2
	exit 1
fi
mv -f "$t/"%[4]s "$m.$$"
rm -f "$t/"%[2]s "$m"
`+placeTree+`
mv -f "$m.$$" "$m" || rm -f "$m.$$"`, shell.Quote(to), endName, start, manifestName)
}

// oneSession is the host script of an upload that reads the base and
// receives the stream in one session: it prints the base's manifest (see
// manifestScript) and a line "drover-manifest-end", then reads from stdin
// the line streamHead writes and the stream.
//
// A delta stream starts with the list of what of the base the new tree
// must not have, one path a line, ended by a line of the stream's end
// name; the tar stream follows. The host makes the new tree a copy of the
// base with every file hard-linked (cp -al, one process; a plain copy
// across file systems), removes the listed paths from it (removing a link
// leaves the base's file alone), and unpacks the stream into it, so
// nothing is copied twice. The shell's read takes the list a byte at a
// time, leaving the rest of stdin to tar.
func oneSession(to, base string) string {
	return "(\n" + manifestScript(to, base) + "\n)\necho " + manifestEnd + `
read -r mode ro tag bd || exit 1
[ "$mode" = delta ] || [ "$mode" = whole ] || exit 1
` + uploadBody(to, deltaStart, `".drover-end.$tag"`, `".drover-manifest.$tag"`)
}

// manifestEnd ends the manifest part of oneSession's output.
const manifestEnd = "drover-manifest-end"

// deltaStart makes $t: for a whole tree an empty directory; for a delta
// a hard-linked copy of the base $bd, less the paths listed at the head of
// stdin. When the base has a directory its owner cannot write ($ro 1), the
// copy's directories are made writable (they are its own; its files are
// the base's and keep their modes); the tar stream gives every directory
// its local mode.
const deltaStart = `if [ "$mode" = whole ]; then
	mkdir "$t"
else
	[ -d "$bd" ] || { printf 'drover: the base release %s is gone\n' "$bd" >&2; exit 1; }
	cp -al "$bd" "$t" 2>/dev/null || { rm -rf "$t"; cp -a "$bd" "$t"; } ||
		{ printf 'drover: copying the base %s failed\n' "$bd" >&2; exit 1; }
	[ "$ro" != 1 ] || find "$t" -type d -exec chmod u+w {} +
	set --
	while IFS= read -r f && [ "$f" != ".drover-end.$tag" ]; do
		set -- "$@" "$t/$f"
		if [ $# -ge 256 ]; then rm -rf -- "$@"; set --; fi
	done
	[ $# -eq 0 ] || rm -rf -- "$@"
fi
`
