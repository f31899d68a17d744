package transport

import (
	"fmt"
	"io"
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
