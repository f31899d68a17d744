package release

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// pruneScript removes the releases named in $ids (valid ids: no blanks or
// glob characters, so the unquoted expansion splits exactly into ids). Each
// is first renamed to a hidden name, so a half-removed release is never seen
// as present; leftovers of an earlier failed prune go first, and the
// manifest an upload kept beside it (.ID.drover-manifest) goes after it. It re-checks
// current on the host and never removes it. It prints each removed id.
// The hidden name is made free first, so mv renames to it (no GNU mv -T
// needed) and never moves the release into a directory of that name.
const pruneScript = `for d in "$root"/releases/.*.pruning; do
	[ -d "$d" ] && { rm -rf "$d" || exit 1; }
done
cur=$(readlink "$root/current" 2>/dev/null) || cur=
cur=${cur%/}
cur=${cur##*/}
for id in $ids; do
	[ "$id" = "$cur" ] && continue
	[ -d "$root/releases/$id" ] || continue
	gone="$root/releases/.$id.pruning"
	if [ -e "$gone" ] || [ -L "$gone" ]; then rm -rf "$gone" || exit 1; fi
	mv -f "$root/releases/$id" "$gone" || exit 1
	rm -rf "$gone" || exit 1
	rm -f "$root/releases/.$id.drover-manifest"
	printf '%s\n' "$id"
done
`

// Prune removes the releases under root beyond the newest keep (by name
// order), never the current one, the previous one or one in protect (e.g.
// the release a switch is pointing at). keep < 1 removes nothing. It returns
// the removed releases, also when it stops on an error part way.
func Prune(ctx context.Context, r Runner, root string, keep int, protect ...string) (removed []string, err error) {
	st, err := Read(ctx, r, root)
	if err != nil {
		return nil, err
	}
	doomed := pruneList(st, keep, protect)
	if len(doomed) == 0 {
		return nil, nil
	}
	out, err := r.Run(ctx, script(pruneScript, "root", root, "ids", strings.Join(doomed, " ")))
	removed = strings.Fields(string(out))
	if err != nil {
		return removed, fmt.Errorf("prune releases under %s: %w", root, err)
	}
	return removed, nil
}

// pruneList returns the releases of st that Prune removes, oldest first.
func pruneList(st State, keep int, protect []string) []string {
	if keep < 1 || len(st.Available) <= keep {
		return nil
	}
	old := st.Available[:len(st.Available)-keep]
	return slices.DeleteFunc(slices.Clone(old), func(id string) bool {
		return id == st.Current || id == st.Previous || slices.Contains(protect, id)
	})
}
