package release

import (
	"errors"
	"fmt"
)

// Previous is the release id that stands for a host's previous release.
const Previous = "previous"

// ErrNoPrevious is wrapped by Resolve's error when a host's history names
// no previous release.
var ErrNoPrevious = errors.New("no previous release in the host's history")

// Resolve returns the release a switch to id takes this host to: id
// itself, or the host's previous release for Previous. It fails with
// ErrNoPrevious, or with ErrMissing when that release is not present, so a
// caller can check every host before switching any.
//
// Resolve "previous" once per host and switch to the result (also on
// retries): Switch to the current release is a no-op, while resolving again
// after a rollback would go one release further back.
func (s State) Resolve(id string) (string, error) {
	if id == Previous {
		if s.Previous == "" {
			return "", ErrNoPrevious
		}
		id = s.Previous
	}
	if !s.Has(id) {
		return "", fmt.Errorf("%w: %s", ErrMissing, id)
	}
	return id, nil
}
