package transport

import (
	"fmt"
	"io"
	"sync"
)

// OutputPipes returns the stdout and stderr of sess, for a command that is
// not started yet.
func OutputPipes(sess Session) (stdout, stderr io.Reader, err error) {
	if stdout, err = sess.StdoutPipe(); err != nil {
		return nil, nil, fmt.Errorf("stdout of session: %w", err)
	}
	if stderr, err = sess.StderrPipe(); err != nil {
		return nil, nil, fmt.Errorf("stderr of session: %w", err)
	}
	return stdout, stderr, nil
}

// copyBufs are Copy's buffers.
var copyBufs = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// Copy copies src to dst as io.Copy does, through a 32 KB buffer from a
// pool the whole process shares. io.Copy allocates one for every copy: one
// for each stream of every session of a farm, and for every file hashed,
// the most garbage a run makes, and on a large farm more garbage means
// more collections over every open connection. Neither side's own
// ReadFrom or WriteTo is used: between the pipes, channels and files
// drover copies, they would copy through a buffer of their own.
func Copy(dst io.Writer, src io.Reader) (int64, error) {
	buf := copyBufs.Get().(*[32 << 10]byte)
	defer copyBufs.Put(buf)
	return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, buf[:])
}
