//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// farmProcs lists the processes on any farm host whose command line is
// exactly argv. Hosts share the machine's process table; a process belongs
// to the farm when it runs in one of the hosts' mount namespaces.
func farmProcs(t testing.TB, argv ...string) []int {
	t.Helper()
	return procsIn(t, farmNamespaces(t), argv...)
}

// hostProcs lists the processes on host name whose command line is exactly argv.
func hostProcs(t testing.TB, name string, argv ...string) []int {
	t.Helper()
	unit, err := os.ReadFile(filepath.Join(farm.Dir, "hosts", name, "unit"))
	if err != nil {
		t.Fatalf("unit of %s: %v", name, err)
	}
	ns, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(unit)), "mntns"))
	if err != nil {
		t.Fatalf("namespace of %s: %v", name, err)
	}
	return procsIn(t, map[string]bool{strings.TrimSpace(string(ns)): true}, argv...)
}

// procsIn lists the processes in the given mount namespaces whose command
// line is exactly argv.
func procsIn(t testing.TB, namespaces map[string]bool, argv ...string) []int {
	t.Helper()
	want := []byte(strings.Join(argv, "\x00") + "\x00")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("list processes: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Equal(cmdline, want) {
			continue
		}
		if ns, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "mnt")); err == nil && namespaces[ns] {
			pids = append(pids, pid)
		}
	}
	return pids
}

// farmNamespaces is the set of the farm hosts' mount namespaces.
func farmNamespaces(t testing.TB) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(farm.Dir, "units", "*", "mntns"))
	if err != nil {
		t.Fatalf("find namespaces: %v", err)
	}
	set := map[string]bool{}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			set[strings.TrimSpace(string(b))] = true
		}
	}
	return set
}

// killFarmProcs kills the listed processes, left over by a failed test.
func killFarmProcs(pids []int) {
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}
