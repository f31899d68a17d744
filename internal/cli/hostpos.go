package cli

import (
	"cmp"
	"maps"
	"slices"

	"github.com/drover-sh/drover/internal/inventory"
)

// hostPositions says where the [hosts] entry of each targeted host is
// written (FILE:LINE:COL), for messages about its values. When two entries
// name a host, the one written first is where its values come from.
func hostPositions(inv *inventory.Inventory, hosts []inventory.Host) map[string]string {
	if inv == nil {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(inv.Hosts), func(a, b string) int {
		pa, pb := inv.Hosts[a].Pos, inv.Hosts[b].Pos
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Col, pb.Col), cmp.Compare(a, b))
	})
	out := map[string]string{}
	for _, key := range keys {
		names, err := inventory.Expand(key)
		if err != nil {
			continue
		}
		for _, n := range names {
			if _, dup := out[n]; !dup && slices.ContainsFunc(hosts, func(h inventory.Host) bool { return h.Name == n }) {
				out[n] = inv.Hosts[key].Pos.String()
			}
		}
	}
	return out
}
