package runbook

import (
	"errors"

	"github.com/BurntSushi/toml"

	"github.com/drover-sh/drover/internal/inventory"
)

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

// Checker validates the files of `drover check`: each on its own, then
// every runbook's target group against every inventory checked with it.
type Checker struct {
	runbooks []*Runbook
	invs     []*inventory.Inventory
}

// Add validates a runbook or an inventory file, whichever src is, and
// returns its Diagnostics.
func (c *Checker) Add(name string, src []byte) error {
	if Sniff(src) == FileInventory {
		inv, err := ParseInventory(name, src)
		if err == nil {
			c.invs = append(c.invs, inv)
		}
		return err
	}
	rb, err := Parse(name, src)
	if err == nil {
		c.runbooks = append(c.runbooks, rb)
	}
	return err
}

// Targets reports, at the runbook's target key, each target group that an
// inventory added does not define.
func (c *Checker) Targets() error {
	var all Diagnostics
	for _, rb := range c.runbooks {
		for _, inv := range c.invs {
			var ds Diagnostics
			if errors.As(rb.CheckInventory(inv), &ds) {
				all = append(all, ds...)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	return all
}
