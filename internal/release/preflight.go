package release

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
