// Package sandbox is the throwaway local farm of `drover sandbox` and
// `drover demo`: in-process SSH hosts (package sshtest) on 127.0.0.1 with
// an inventory and a private known_hosts written for them, and the demo's
// tiny app, whose releases it writes and whose processes it stops.
//
// It runs no drover command and prints nothing: the demo's scenario and
// everything a person sees are the CLI's.
package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/drover-sh/drover/internal/sshtest"
)

// Options say what sandbox to start.
type Options struct {
	Hosts        int    // named web01, web02, ...
	Dir          string // the hosts' base directory; "" makes a temporary one, removed by Close
	InventoryOut string // where to write the inventory; "" means Dir/inventory.toml
}

// Sandbox is a running local farm with its inventory written.
type Sandbox struct {
	Farm      *sshtest.Farm
	Dir       string
	Inventory string // the inventory file
	temp      bool   // Dir is removed by Close
}

// Start starts the hosts under Dir and writes known_hosts and the
// inventory. ctx bounds the start only.
func Start(ctx context.Context, o Options) (*Sandbox, error) {
	sb := &Sandbox{Dir: o.Dir}
	if sb.Dir == "" {
		d, err := os.MkdirTemp("", "drover-sandbox-")
		if err != nil {
			return nil, fmt.Errorf("create sandbox directory: %w", err)
		}
		sb.Dir, sb.temp = d, true
	}
	names := make([]string, o.Hosts)
	for i := range names {
		names[i] = fmt.Sprintf("web%02d", i+1)
	}
	farm, err := sshtest.Start(ctx, sshtest.Options{Names: names, Dir: filepath.Join(sb.Dir, "hosts")})
	if err != nil {
		sb.remove()
		return nil, fmt.Errorf("start sandbox: %w", err)
	}
	sb.Farm = farm
	kh := filepath.Join(sb.Dir, "known_hosts")
	sb.Inventory = o.InventoryOut
	if sb.Inventory == "" {
		sb.Inventory = filepath.Join(sb.Dir, "inventory.toml")
	}
	if err := farm.KnownHosts(kh); err != nil {
		sb.Close()
		return nil, err
	}
	if err := farm.Inventory(sb.Inventory, kh); err != nil {
		sb.Close()
		return nil, err
	}
	return sb, nil
}

// Keep leaves a temporary sandbox's files in place when it is closed.
func (sb *Sandbox) Keep() { sb.temp = false }

// Close stops every host and removes a temporary sandbox's files.
func (sb *Sandbox) Close() {
	sb.Farm.Close()
	sb.remove()
}

func (sb *Sandbox) remove() {
	if sb.temp {
		os.RemoveAll(sb.Dir)
	}
}
