package target

import (
	"fmt"
	"os"

	"github.com/drover-sh/drover/internal/inventory"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/transport/sshx"
)

// checkIdentities makes sure every key file a flag or the inventory names
// can be read and holds a private key, and every CertificateFile that
// exists holds a user certificate, so a typo stops the command before any
// host is contacted. A key protected by a passphrase passes: the agent may
// hold it, or the terminal may be asked (see Dialer). Other key files
// (ssh_config's, the defaults) and certificates that do not exist are
// dropped, as ssh skips them.
func checkIdentities(hosts []inventory.Host) error {
	seen := map[string]bool{}
	for i := range hosts {
		h := &hosts[i]
		origin := h.Origin[inventory.SettingIdentity]
		named := origin == inventory.OriginFlag || origin == inventory.OriginHost || origin == inventory.OriginDefaults
		dropMissing(&h.Endpoint, named)
		for _, id := range h.Endpoint.Identities {
			if seen[id] || !named {
				continue
			}
			seen[id] = true
			if err := sshx.CheckIdentity(id); err != nil {
				return hinted(fmt.Errorf("identity file for %s: %w", h.Name, err),
					"check --identity or the inventory's identity")
			}
		}
		for _, c := range h.Endpoint.Certificates {
			if err := sshx.CheckCertificate(c); err != nil {
				return hinted(fmt.Errorf("certificate file for %s: %w", h.Name, err),
					"check CertificateFile in ~/.ssh/config")
			}
		}
	}
	return nil
}

// dropMissing drops the key files of e that do not exist, and its
// certificates that do not; named keeps its identities, to be checked.
func dropMissing(e *transport.Endpoint, named bool) {
	if !named {
		e.Identities = existingKeys(e.Identities)
	}
	e.Certificates = existingKeys(e.Certificates)
	for j := range e.Jump {
		hop := &e.Jump[j]
		hop.Identities, hop.Certificates = existingKeys(hop.Identities), existingKeys(hop.Certificates)
	}
}

// existingKeys keeps the files that exist, or whose public half does.
func existingKeys(paths []string) []string {
	var out []string
	for _, p := range paths {
		if fileExists(p) || fileExists(p+".pub") {
			out = append(out, p)
		}
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
