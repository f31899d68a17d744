package sshx

import "syscall"

const hasQuickAck = true

// setQuickAck asks the kernel to acknowledge at once rather than delay
// the ACK; errors are ignored, the option is only an optimisation.
func setQuickAck(fd uintptr) {
	syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
}
