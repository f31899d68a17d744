package expect

import "io"

// source reads the command's output on its own goroutine, so that Run can
// wait for output, timers and cancellation at once.
type source struct {
	chunks   chan []byte   // closed after the last chunk
	err      error         // read error other than EOF; valid once chunks is closed
	stop     chan struct{} // closed by Run when it no longer takes chunks
	finished chan struct{} // closed when the goroutine has returned
}

// startReader starts reading r. The goroutine ends at EOF or a read error,
// or, once stopChunks was called, at the first Read that returns.
func startReader(r io.Reader) *source {
	s := &source{
		chunks:   make(chan []byte),
		stop:     make(chan struct{}),
		finished: make(chan struct{}),
	}
	go s.run(r)
	return s
}

func (s *source) run(r io.Reader) {
	defer close(s.finished)
	defer close(s.chunks)
	for {
		buf := make([]byte, readSize)
		n, err := r.Read(buf)
		if n > 0 {
			select {
			case s.chunks <- buf[:n]:
			case <-s.stop:
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				s.err = err
			}
			return
		}
	}
}

// stopChunks tells the goroutine that nobody takes chunks any more.
func (s *source) stopChunks() { close(s.stop) }

// wait waits for the goroutine to return.
func (s *source) wait() { <-s.finished }
