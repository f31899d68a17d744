package sshtest

import "github.com/drover-sh/drover/internal/transport"

// Endpoint is how a client reaches h as the current OS user with the farm's
// client key; knownHosts is the known_hosts file to check the host key
// against (see KnownHosts), left out when empty.
func (f *Farm) Endpoint(h *Host, knownHosts string) transport.Endpoint {
	ep := transport.Endpoint{
		Name:       h.Name,
		Host:       h.Addr,
		Port:       h.Port,
		User:       currentUser(),
		Identities: []string{f.ClientKey},
	}
	if knownHosts != "" {
		ep.KnownHosts = []string{knownHosts}
	}
	return ep
}
