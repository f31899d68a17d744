package engine

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/drover-sh/drover/internal/shell"
)

// A delta upload sends only what changed against a release the host
// already has (the base): drover reads the base's manifest from the host,
// compares it with the local tree, and sends the directories, symlinks and
// the regular files that are new or differ, with a script that names what
// of the base the new tree must not have. The host copies the base with
// every file hard-linked (cp -al, one process; a plain copy across file
// systems), removes those names, and adds what the stream brought, so the
// new release shares the unchanged files' inodes and is still complete on
// its own: removing the base later leaves it whole, as with rsync
// --link-dest. A file is kept linked only when its content hash, size and
// mode all match, and everything else of the base is removed, so the new
// tree equals the local one exactly. Nothing of the base is written to:
// links are removed, never written through.
//
// The base is the step's base, else, for a target ROOT/releases/ID, the
// release ROOT/current points to. The host keeps each release's manifest
// beside it (releases/.ID.drover-manifest): every file's mode, size and
// mtime as the host saw them right after the upload, and its SHA-256 as
// drover computed it. A cached hash counts only for a file whose mode,
// size and mtime are still the same (rsync's quick check), so a file
// changed by other means is sent again; without a manifest, the host
// hashes the base with sha256sum. A host without sha256sum, stat or a
// base gets the whole tree.

// baseFile is what the host's manifest says of one regular file.
type baseFile struct {
	mode  string // octal permissions, as stat %a prints them
	size  int64
	mtime string // seconds since the epoch, as stat %Y prints them
	sum   string
}

// baseManifest is the manifest of the base release a host reported.
type baseManifest struct {
	dir    string              // the base release's directory on the host, links resolved
	files  map[string]baseFile // the regular files whose hash is known
	all    []string            // every regular file, hash known or not
	others []string            // every entry that is not a regular file, in listing order
	dirs   map[string]bool     // the others that are directories
	// readOnlyDirs: a directory of the base lacks its owner's write
	// permission, so a copy of it must be opened up to be changed.
	readOnlyDirs bool
}

// manifestScript prints "base DIR" and the base's manifest, or nothing
// when the host has no base to link from. base "" means the release
// current points to, when to is ROOT/releases/ID.
func manifestScript(to, base string) string {
	return fmt.Sprintf(`d=%s
b=%s
p=$(dirname "$d")
if [ -z "$b" ]; then
	[ "${p##*/}" = releases ] || exit 0
	b="$(dirname "$p")/current"
fi
[ -d "$b" ] || exit 0
b=$(cd "$b" && pwd -P) || exit 0
[ "$b" != "$(cd "$d" 2>/dev/null && pwd -P)" ] || exit 0
command -v sha256sum >/dev/null 2>&1 || exit 0
m="${b%%/*}/.${b##*/}.drover-manifest"
cd "$b" || exit 0
nl='
'
[ -z "$(find . -name "*$nl*" -o -name '*\\*')" ] || exit 0
all=$(find . ! -name . -exec stat -c 'entry %%f %%a %%s %%Y %%n' {} +) || exit 0
echo "base $b"
printf '%%s\n' "$all"
if [ -f "$m" ] && IFS= read -r head < "$m" && [ "$head" = %[3]s ]; then
	echo cached
	tail -n +2 "$m"
	exit 0
fi
find . -type f -exec sha256sum {} +`, shell.Quote(to), shell.Quote(base), shell.Quote(manifestHead))
}

// manifestHead is the first line of a manifest a host keeps.
const manifestHead = "drover-manifest 1"

// The base's other entries (directories, symlinks and anything else) are
// listed too, "other ./PATH" for each and "dir ./PATH" for a directory,
// so that the new tree, made by linking the whole base, can lose what the
// local tree does not have. A base holding a name with a newline or a
// backslash, which no manifest line can carry safely, is no base.

// parseManifest reads manifestScript's output: the base's stat lines as
// they are now, then either fresh hash lines or, after "cached", the kept
// manifest's stat and hash lines. A file is known with a stat line and a
// hash line, and with a kept hash only when its kept stat line is the
// same as now. A path named twice in one part (a name with a newline
// could forge a line) is not known at all.
func parseManifest(lines []string) *baseManifest {
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "base /") {
		return nil
	}
	m := &baseManifest{dir: strings.TrimPrefix(lines[0], "base "), dirs: map[string]bool{}}
	now, rest := lines[1:], []string(nil)
	cached := false
	if i := slices.Index(now, "cached"); i >= 0 {
		now, rest, cached = now[:i], now[i+1:], true
	}
	stats, sums, bad := make(map[string]baseFile, len(now)), make(map[string]string, len(now)), map[string]bool{}
	now = m.readOthers(now, stats, bad)
	if !readLines(now, stats, sums, bad) {
		return nil
	}
	var kept map[string]baseFile // the kept manifest's stat lines, when cached
	if cached {
		kept, sums = make(map[string]baseFile, len(rest)/2), make(map[string]string, len(rest)/2)
		if !readLines(rest, kept, sums, bad) {
			return nil
		}
	}
	// stats becomes m.files: the files whose hash is known keep their
	// entries, now with the hash.
	m.all = make([]string, 0, len(stats))
	for p, f := range stats {
		m.all = append(m.all, p)
		sum := sums[p]
		if sum == "" || bad[p] || (cached && kept[p] != f) {
			delete(stats, p)
			continue
		}
		f.sum = sum
		stats[p] = f
	}
	m.files = stats
	return m
}

// readOthers takes the listing's lines out of lines: a regular file's
// into stats (see readLines), any other entry into m.others.
//
// The listing comes as "entry HEXMODE PERM SIZE MTIME ./PATH" lines, one
// find and one stat for the whole base: a regular file's line is read as
// the stat line the kept manifest has ("stat PERM SIZE MTIME ./PATH").
func (m *baseManifest) readOthers(lines []string, stats map[string]baseFile, bad map[string]bool) []string {
	rest := lines[:0:0]
	var f [5]string
	for _, l := range lines {
		entry, ok := strings.CutPrefix(l, "entry ")
		if !ok || !cutFields(entry, f[:]) || !strings.HasPrefix(f[4], "./") {
			rest = append(rest, l)
			continue
		}
		raw, err := strconv.ParseUint(f[0], 16, 32)
		switch kind := raw & 0o170000; {
		case err != nil:
			rest = append(rest, l) // unparseable: readLines refuses it
		case kind == 0o100000:
			p, file, ok := statFields(f[1:])
			if !ok {
				rest = append(rest, l)
				continue
			}
			addStat(stats, bad, p, file)
		default:
			m.others = append(m.others, f[4])
			m.dirs[f[4]] = kind == 0o040000
			if perm, err := strconv.ParseUint(f[1], 8, 32); kind == 0o040000 && (err != nil || perm&0o200 == 0) {
				m.readOnlyDirs = true
			}
		}
	}
	return rest
}

// readLines sorts stat and hash lines into stats and sums, marking in bad
// the paths that come twice. A line of neither kind makes the whole
// manifest untrustworthy: it reports false.
func readLines(lines []string, stats map[string]baseFile, sums map[string]string, bad map[string]bool) bool {
	for _, l := range lines {
		if p, f, ok := statLine(l); ok {
			addStat(stats, bad, p, f)
		} else if p, sum, ok := sumLine(l); ok {
			if _, dup := sums[p]; dup {
				bad[p] = true
			}
			sums[p] = sum
		} else if l != "" {
			return false
		}
	}
	return true
}

// addStat records path p's stat line, marking p bad when it had one.
func addStat(stats map[string]baseFile, bad map[string]bool, p string, f baseFile) {
	if _, dup := stats[p]; dup {
		bad[p] = true
	}
	stats[p] = f
}

// statLine parses "stat MODE SIZE MTIME ./PATH".
func statLine(l string) (string, baseFile, bool) {
	rest, ok := strings.CutPrefix(l, "stat ")
	var f [4]string
	if !ok || !cutFields(rest, f[:]) {
		return "", baseFile{}, false
	}
	return statFields(f[:])
}

// statFields reads MODE, SIZE, MTIME and ./PATH.
func statFields(f []string) (string, baseFile, bool) {
	if !strings.HasPrefix(f[3], "./") {
		return "", baseFile{}, false
	}
	size, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return "", baseFile{}, false
	}
	return f[3], baseFile{mode: f[0], size: size, mtime: f[2]}, true
}

// cutFields cuts s at its spaces into the fields of out, the last one
// keeping the rest of s (as strings.SplitN with len(out)); false when s
// has fewer fields.
func cutFields(s string, out []string) bool {
	for i := range len(out) - 1 {
		var ok bool
		if out[i], s, ok = strings.Cut(s, " "); !ok {
			return false
		}
	}
	out[len(out)-1] = s
	return true
}

// sumLine parses sha256sum's "HASH  ./PATH" (an escaped name starts with
// a backslash and is not parsed).
func sumLine(l string) (string, string, bool) {
	sum, p, ok := strings.Cut(l, "  ")
	if !ok || len(sum) != 64 || !strings.HasPrefix(p, "./") {
		return "", "", false
	}
	return p, sum, true
}

// delta is what one host's upload sends and links.
type delta struct {
	// linked are the regular files the host links from the base, with the
	// base's stat lines, for the manifest the host keeps beside the new
	// tree (tree.manifest); the manifest itself is made only for the
	// stream that is written.
	linked    map[string]baseFile
	remove    []string // base entries the new tree must not keep
	sentFiles int
	sentBytes int64
}

// diff splits t's regular files into those the host can link from base
// and those it must be sent.
func diff(t *tree, base *baseManifest) delta {
	d := delta{linked: make(map[string]baseFile, len(base.files))}
	for _, e := range t.entries {
		if !e.regular() {
			continue
		}
		if f, ok := base.files[e.path]; ok && manifestSafe(e.path) && f.sum == e.sum && f.size == e.size &&
			f.mode == strconv.FormatUint(uint64(e.mode.Perm()), 8) {
			d.linked[e.path] = f
			continue
		}
		d.sentFiles++
		d.sentBytes += e.size
	}
	d.remove = removals(t, base, d.linked)
	return d
}

// removals are the entries of the base that a copy of it must lose to
// become the local tree: regular files not linked (changed or gone), every
// symlink and special file (the stream brings the local ones), and the
// directories the local tree does not have. A path inside a removed
// directory is not listed again.
func removals(t *tree, base *baseManifest, linked map[string]baseFile) []string {
	dirs := map[string]bool{}
	for _, e := range t.entries {
		if e.mode.IsDir() {
			dirs[e.path] = true
		}
	}
	var out []string
	gone := map[string]bool{}
	add := func(p string) {
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			if gone["./"+strings.TrimPrefix(d, "./")] {
				return
			}
		}
		gone[p] = true
		out = append(out, p)
	}
	slices.Sort(base.all)
	for _, p := range base.all {
		if _, ok := linked[p]; !ok {
			add(p)
		}
	}
	for _, p := range base.others {
		if !(base.dirs[p] && dirs[p]) {
			add(p)
		}
	}
	slices.Sort(out)
	return out
}
