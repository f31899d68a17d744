package rollout

import (
	"fmt"
	"syscall"
)

// fdReserve is the file descriptors drover keeps beside those of its
// hosts: standard streams, the journal and its lock, the terminal, the
// pipes of local steps and of a ProxyCommand.
const fdReserve = 64

// checkDescriptors refuses, before any host is dialled, a command whose
// hosts need more file descriptors than this process may open: a run that
// hit the limit halfway would lose hosts mid-switch. Each host holds one
// connection, and one transcript with --log-dir. The Go runtime raises the
// soft RLIMIT_NOFILE to the hard limit when drover starts, so the limit
// read here is the most drover can have without the operator's help.
func checkDescriptors(hosts, perHost int) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return nil // no limit to read: dialling will say what fails
	}
	need := uint64(hosts)*uint64(perHost) + fdReserve
	if need <= rl.Cur {
		return nil
	}
	err := fmt.Errorf("%d hosts need about %d open files, but this process may open %d (ulimit -n)", hosts, need, rl.Cur)
	return refused(hinted(err, "raise the limit (ulimit -n %d, or the hard limit in /etc/security/limits.conf), or target fewer hosts at once", need))
}
