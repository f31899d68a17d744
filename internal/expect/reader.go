package expect

import (
	"io"
	"sync"
)

// maxPending bounds the output read ahead of matching; the reader waits
// when this much is waiting to be matched.
const maxPending = 1 << 20

// source reads the command's output on its own goroutine, so that Run can
// wait for output, timers and cancellation at once. While Run is busy
// matching, output read in the meantime piles up and is taken in one piece:
// a command that writes a byte at a time costs one match per batch, not one
// per byte.
type source struct {
	ready    chan struct{} // signalled when there is output or the end to take
	space    chan struct{} // signalled when Run took output
	stop     chan struct{} // closed by Run when it no longer takes output
	finished chan struct{} // closed when the goroutine has returned

	mu      sync.Mutex
	pending []byte
	ended   bool  // EOF or a read error; pending is the last output
	err     error // read error other than EOF
}

// startReader starts reading r. The goroutine ends at EOF or a read error,
// or, once stopChunks was called, at the first Read that returns.
func startReader(r io.Reader) *source {
	s := &source{
		ready:    make(chan struct{}, 1),
		space:    make(chan struct{}, 1),
		stop:     make(chan struct{}),
		finished: make(chan struct{}),
	}
	go s.run(r)
	return s
}

func (s *source) run(r io.Reader) {
	defer close(s.finished)
	bp := readBufs.Get().(*[readSize]byte)
	defer readBufs.Put(bp)
	buf := bp[:]
	for {
		n, err := r.Read(buf)
		select {
		case <-s.stop:
			return
		default:
		}
		if full := s.put(buf[:n], err); full && !s.waitSpace() {
			return
		}
		if err != nil {
			return
		}
	}
}

// readBufs are the readers' buffers: put copies what was read, so a
// buffer is free again when its reader returns. A farm's every PTY step
// would otherwise leave one as garbage.
var readBufs = sync.Pool{New: func() any { return new([readSize]byte) }}

// put adds output, or the end of it, and reports whether Run is too far
// behind.
func (s *source) put(b []byte, err error) bool {
	s.mu.Lock()
	s.pending = append(s.pending, b...)
	if err != nil {
		s.ended = true
		if err != io.EOF {
			s.err = err
		}
	}
	full := len(s.pending) >= maxPending
	s.mu.Unlock()
	signal(s.ready)
	return full
}

// waitSpace waits until Run took output; false when Run stopped.
func (s *source) waitSpace() bool {
	select {
	case <-s.space:
		return true
	case <-s.stop:
		return false
	}
}

// take returns the output read so far and whether the output has ended
// (with the read error, if that is how it ended).
func (s *source) take() ([]byte, bool, error) {
	s.mu.Lock()
	b, ended, err := s.pending, s.ended, s.err
	s.pending = nil
	s.mu.Unlock()
	signal(s.space)
	return b, ended, err
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// stopChunks tells the goroutine that nobody takes output any more.
func (s *source) stopChunks() { close(s.stop) }

// wait waits for the goroutine to return.
func (s *source) wait() { <-s.finished }
