package expect

import (
	"bufio"
	"context"
	"io"
	"sync"
	"testing"
)

// fakeHost plays the command on the far side of a pair of pipes.
type fakeHost struct {
	out *io.PipeWriter
	in  *bufio.Reader

	mu  sync.Mutex
	got []string // lines the command read from its input
}

// say prints s.
func (h *fakeHost) say(s string) error {
	_, err := io.WriteString(h.out, s)
	return err
}

// ask prints prompt and reads one line of answer.
func (h *fakeHost) ask(prompt string) (string, error) {
	if err := h.say(prompt); err != nil {
		return "", err
	}
	return h.readLine()
}

func (h *fakeHost) readLine() (string, error) {
	line, err := h.in.ReadString('\n')
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	h.got = append(h.got, line)
	h.mu.Unlock()
	return line, nil
}

// hang reads input until it is closed, as a command waiting at a prompt.
func (h *fakeHost) hang() error {
	for {
		if _, err := h.readLine(); err != nil {
			return err
		}
	}
}

func (h *fakeHost) answers() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

// converse runs script as the host and Run against it. The host's output
// ends when script returns nil. Run's Close, and the end of the test run,
// close both pipes, which ends a host that hangs.
func converse(t testing.TB, ctx context.Context, script func(h *fakeHost) error, opts Options) (*fakeHost, Result, error) {
	t.Helper()
	outR, outW := io.Pipe()
	inR, inW := io.Pipe()
	h := &fakeHost{out: outW, in: bufio.NewReader(inR)}
	closeAll := func() error {
		outR.Close()
		inW.Close()
		return nil
	}
	if opts.Close == nil {
		opts.Close = closeAll
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := script(h); err == nil {
			outW.Close()
		}
	}()
	res, err := Run(ctx, outR, inW, opts)
	closeAll()
	<-done
	return h, res, err
}
