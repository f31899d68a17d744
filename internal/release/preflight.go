package release

import (
	"context"
	"fmt"

	"github.com/drover-sh/drover/internal/transport"
)

// Has reports whether releases/id is present under root.
func Has(ctx context.Context, r Runner, root, id string) (bool, error) {
	if err := checkRoot(root); err != nil {
		return false, err
	}
	if err := CheckID(id); err != nil {
		return false, err
	}
	_, err := r.Run(ctx, script(`[ -d "$root/releases/$id" ]`+"\n", "root", root, "id", id))
	switch transport.ExitCode(err) {
	case 0:
		return true, nil
	case 1:
		return false, nil
	}
	return false, fmt.Errorf("look for release %s under %s: %w", id, root, err)
}

// AgreePrevious returns the previous release every host in states agrees
// on, keyed by host. ok is false when there are no hosts, when hosts
// disagree, or when any host has no previous release; the caller then shows
// each host's State and stops (or goes host by host).
func AgreePrevious(states map[string]State) (prev string, ok bool) {
	for _, st := range states {
		switch {
		case st.Previous == "":
			return "", false
		case prev == "":
			prev = st.Previous
		case st.Previous != prev:
			return "", false
		}
	}
	return prev, prev != ""
}
