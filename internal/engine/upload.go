package engine

import (
	"archive/tar"
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
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- pw.CloseWithError(writeTar(pw, st.Arg)) }()
	err = hr.command(ctx, "sh -c "+shell.Quote(dirScript(st.To)), commandOpts{timeout: st.Timeout, stdin: pr, step: st.Name})
	pr.CloseWithError(io.ErrClosedPipe)
	if terr := <-done; err == nil && terr != nil {
		err = terr
	}
	if err != nil {
		return failed(fmt.Errorf("upload %s to %s: %w", st.Arg, st.To, err))
	}
	return okOutcome
}

func (hr *hostRun) uploadFile(ctx context.Context, st plan.Step, info fs.FileInfo) outcome {
	f, err := os.Open(st.Arg)
	if err != nil {
		return failed(fmt.Errorf("upload: %w", err))
	}
	defer f.Close()
	script := fileScript(st.To, info.Mode().Perm())
	err = hr.command(ctx, "sh -c "+shell.Quote(script), commandOpts{timeout: st.Timeout, stdin: f, step: st.Name})
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

// fileScript writes stdin to a temporary file next to to, sets its mode
// and renames it over to.
func fileScript(to string, mode fs.FileMode) string {
	return fmt.Sprintf(uploadPrelude+`trap 'rm -f "$t"' EXIT
cat > "$t"
chmod %o "$t"
mv -f "$t" "$d"`, shell.Quote(to), mode)
}

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
func dirScript(to string) string {
	return fmt.Sprintf(uploadPrelude+`trap 'rm -rf "$t" "$o"' EXIT
live() {
	for c in "$(dirname "$p")/current" "$p/current"; do
		[ -L "$c" ] && [ -d "$c" ] && [ -d "$d" ] || continue
		[ "$(cd "$c" && pwd -P)" = "$(cd "$d" && pwd -P)" ] || continue
		printf 'drover: %%s is the live release (%%s points to it): publish under a new release id, or switch away first\n' "$d" "$c" >&2
		exit 1
	done
}
live
mkdir "$t"
tar -x -p -f - -C "$t"
live
if [ -e "$d" ] || [ -L "$d" ]; then mv -f "$d" "$o"; fi
if [ -e "$d" ] || [ -L "$d" ]; then
	printf 'drover: %%s appeared during the upload: left as it is\n' "$d" >&2
	exit 1
fi
mv -f "$t" "$d" || { [ -e "$o" ] && mv -f "$o" "$d"; exit 1; }`, shell.Quote(to))
}

// writeTar writes the tree under root as a tar stream, root itself as ".".
func writeTar(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return addTarEntry(tw, root, path, d)
	})
	if err != nil {
		return fmt.Errorf("pack %s: %w", root, err)
	}
	return tw.Close()
}

func addTarEntry(tw *tar.Writer, root, path string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(path); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return err
	}
	hdr.Name = "./" + filepath.ToSlash(rel)
	if rel == "." {
		hdr.Name = "./"
	} else if info.IsDir() {
		hdr.Name += "/"
	}
	// Files belong to the login user on the host, not to a uid of this machine.
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	return copyFile(tw, path)
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
