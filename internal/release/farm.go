package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/drover-sh/drover/internal/transport"
)

// readParallel bounds how many hosts ReadAll reads at once.
const readParallel = 64

// ReadAll reads the release tree of every host of conns, at most
// readParallel at a time. A host that cannot be read is in errs, not in
// states: one host's error stops no other read.
func ReadAll(ctx context.Context, conns map[string]transport.Conn, root string) (states map[string]State, errs map[string]error) {
	var mu sync.Mutex
	states, errs = map[string]State{}, map[string]error{}
	var g errgroup.Group
	g.SetLimit(readParallel)
	for host, conn := range conns {
		g.Go(func() error {
			s, err := Read(ctx, ConnRunner{Conn: conn}, root)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[host] = err
			} else {
				states[host] = s
			}
			return nil
		})
	}
	g.Wait()
	return states, errs
}

// Majority is the current release most hosts run; a tie goes to the name
// that sorts first. A host whose current differs from it has drifted.
func Majority(states map[string]State) string {
	count := map[string]int{}
	best := ""
	for _, s := range states {
		count[s.Current]++
		if count[s.Current] > count[best] || (count[s.Current] == count[best] && s.Current < best) {
			best = s.Current
		}
	}
	return best
}

// AgreePrevious returns the previous release every host in states agrees
// on. ok is false when there are no hosts, when hosts disagree, or when
// any host has no previous release.
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

// ErrDisagree is CheckSwitch's error when hosts have different previous
// releases and each may not go back to its own.
var ErrDisagree = errors.New("hosts disagree about the previous release; nothing was switched")

// MissingError is CheckSwitch's error when hosts lack the release a
// switch would take them to.
type MissingError struct {
	ID    string   // the release id, or Previous
	Hosts []string // sorted
}

func (e *MissingError) Error() string {
	what := "release " + e.ID
	if e.ID == Previous {
		what = "their previous release (in the history and on disk)"
	}
	return fmt.Sprintf("%d host(s) do not have %s: %s; nothing was switched", len(e.Hosts), what, strings.Join(e.Hosts, ", "))
}

// CheckSwitch decides, before any host switches, whether the hosts read
// into states may switch to id: every one must have it (for Previous:
// have a previous release present on disk) and, unless perHost lets each
// go back to its own, all must agree on what previous is. It returns a
// *MissingError or ErrDisagree.
func CheckSwitch(states map[string]State, id string, perHost bool) error {
	var missing []string
	for host, s := range states {
		if _, err := s.Resolve(id); err != nil {
			missing = append(missing, host)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return &MissingError{ID: id, Hosts: missing}
	}
	if id == Previous && !perHost {
		if _, ok := AgreePrevious(states); !ok {
			return ErrDisagree
		}
	}
	return nil
}
