package runbook

import "github.com/BurntSushi/toml"

// FileKind is what a drover TOML file holds.
type FileKind int

const (
	FileRunbook FileKind = iota
	FileInventory
)

// inventoryKeys are the top-level keys only an inventory has.
var inventoryKeys = []string{"defaults", "groups", "hosts"}

// Sniff tells a runbook from an inventory by its top-level keys, for
// `drover check FILE...`. A file it cannot decode is a runbook (Parse then
// reports the syntax error).
func Sniff(src []byte) FileKind {
	var doc map[string]any
	if _, err := toml.Decode(string(src), &doc); err != nil {
		return FileRunbook
	}
	if _, ok := doc["stage"]; ok {
		return FileRunbook
	}
	for _, k := range inventoryKeys {
		if _, ok := doc[k]; ok {
			return FileInventory
		}
	}
	return FileRunbook
}

// Check validates a runbook or an inventory file, whichever src is, and
// returns its Diagnostics.
func Check(name string, src []byte) error {
	if Sniff(src) == FileInventory {
		_, err := ParseInventory(name, src)
		return err
	}
	_, err := Parse(name, src)
	return err
}
