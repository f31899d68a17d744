package inventory

import "slices"

// HostPositions says where the [hosts] entry of each targeted host is
// written (FILE:LINE:COL), for messages about its values. When two entries
// name a host, the one written first is where its values come from.
func (inv *Inventory) HostPositions(hosts []Host) map[string]string {
	if inv == nil {
		return nil
	}
	out := map[string]string{}
	for _, key := range inv.hostKeys() {
		names, err := Expand(key)
		if err != nil {
			continue
		}
		for _, n := range names {
			if _, dup := out[n]; !dup && slices.ContainsFunc(hosts, func(h Host) bool { return h.Name == n }) {
				out[n] = inv.Hosts[key].Pos.String()
			}
		}
	}
	return out
}
