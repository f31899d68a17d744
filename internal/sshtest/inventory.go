package sshtest

import (
	"fmt"
	"os"
	"os/user"
	"strings"

	"github.com/drover-sh/drover/internal/inventory"
)

// Inventory writes an inventory.toml for the farm at path (DESIGN §3):
// defaults with the current OS user, the client key and knownHosts (left
// out when empty); groups "all" and "web" with every host and "canary"
// with the first; one [hosts."NAME"] table per host with its address and
// port.
func (f *Farm) Inventory(path, knownHosts string) error {
	if err := os.WriteFile(path, []byte(f.inventoryTOML(knownHosts)), 0o644); err != nil {
		return fmt.Errorf("write inventory: %w", err)
	}
	return nil
}

func (f *Farm) inventoryTOML(knownHosts string) string {
	var b strings.Builder
	b.WriteString("# A drover sandbox farm: in-process SSH hosts on this machine.\n\n")
	b.WriteString("[defaults]\n")
	fmt.Fprintf(&b, "user = %s\n", inventory.QuoteTOML(currentUser()))
	fmt.Fprintf(&b, "identity = %s\n", inventory.QuoteTOML(f.ClientKey))
	if knownHosts != "" {
		fmt.Fprintf(&b, "known_hosts = %s\n", inventory.QuoteTOML(knownHosts))
	}
	names := make([]string, len(f.Hosts))
	for i, h := range f.Hosts {
		names[i] = inventory.QuoteTOML(h.Name)
	}
	list := "[" + strings.Join(names, ", ") + "]"
	b.WriteString("\n[groups]\n")
	fmt.Fprintf(&b, "all = %s\nweb = %s\n", list, list)
	if len(names) > 0 {
		fmt.Fprintf(&b, "canary = [%s]\n", names[0])
	}
	for _, h := range f.Hosts {
		fmt.Fprintf(&b, "\n[hosts.%s]\nhostname = %s\nport = %d\n", inventory.QuoteTOML(h.Name), inventory.QuoteTOML(h.Addr), h.Port)
	}
	return b.String()
}

// currentUser is the login name of the user running the farm, which is
// also who every command runs as.
func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return "root"
}
