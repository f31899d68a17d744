package cli

import (
	"fmt"
	"io"

	"github.com/drover-sh/drover/internal/plan"
)

// writeLBs lists, for drover plan, the load balancers haproxy steps act on
// together and each host's server there.
func writeLBs(w io.Writer, pl *plan.Plan) {
	if len(pl.HAProxy) == 0 {
		return
	}
	fmt.Fprintf(w, "\nload balancers (haproxy steps act on each):\n")
	for _, lb := range pl.HAProxy {
		via := ""
		if lb.Via != "" {
			via = " via " + lb.Via
		}
		fmt.Fprintf(w, "  %s%s\n", lb.Name(), via)
		for _, h := range pl.Hosts {
			fmt.Fprintf(w, "    %s -> server %s/%s\n", h.Name, lb.Backend, lb.Servers[h.Name])
		}
	}
}
