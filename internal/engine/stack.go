package engine

// hostFrame is the frame growStack takes: with the frames below it, the
// stack needs 16 KB, about what a goroutine that serves one host reaches
// (an SSH handshake with its key exchange and signature, then a step's
// session).
const hostFrame = 12 << 10

// growStack grows the calling goroutine's stack to 16 KB now, while the
// goroutine is shallow. A new goroutine starts with a small stack (2 KB
// while pre-flight holds many idle connections) that would otherwise be
// copied three times on its way down, 2 to 4 to 8 to 16 KB, each copy
// walking every frame on it. Measured on 1,000 hosts, this saves about
// three stack copies per host; call it first thing in a goroutine that
// dials or runs a host.
//
//go:noinline
func growStack() byte {
	var frame [hostFrame]byte
	return lastByte(frame[:])
}

// lastByte reads frame, so that growStack's frame is not optimised away.
//
//go:noinline
func lastByte(frame []byte) byte { return frame[len(frame)-1] }
