package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// errNoTerminal is returned when a question needs a person and stdin is not
// a terminal.
var errNoTerminal = errors.New("no terminal to ask on")

// terminal asks a person questions on stdin/stderr, one at a time.
type terminal struct {
	mu    sync.Mutex
	in    io.Reader
	out   io.Writer
	fd    int  // stdin's descriptor when it is a terminal
	isTTY bool // stdin is a terminal
	lines *bufio.Reader
}

func newTerminal(in io.Reader, out io.Writer) *terminal {
	t := &terminal{in: in, out: out, fd: -1}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		t.fd, t.isTTY = int(f.Fd()), true
	}
	t.lines = bufio.NewReader(in)
	return t
}

// interactive reports whether a person can be asked.
func (t *terminal) interactive() bool { return t.isTTY }

// readSecret asks for a value without echoing it.
func (t *terminal) readSecret(ctx context.Context, prompt string) (string, error) {
	if !t.isTTY {
		return "", errNoTerminal
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprint(t.out, prompt)
	type answer struct {
		b   []byte
		err error
	}
	ch := make(chan answer, 1)
	// The read cannot be cancelled; on ctx cancellation the process is
	// about to exit and the goroutine ends with it.
	go func() {
		b, err := term.ReadPassword(t.fd)
		ch <- answer{b, err}
	}()
	select {
	case a := <-ch:
		fmt.Fprintln(t.out)
		if a.err != nil {
			return "", fmt.Errorf("read %s: %w", strings.TrimSpace(prompt), a.err)
		}
		return string(a.b), nil
	case <-ctx.Done():
		fmt.Fprintln(t.out)
		return "", ctx.Err()
	}
}

// ask prints question and reads one line; it is the building block of gates.
func (t *terminal) ask(ctx context.Context, question string) (string, error) {
	if !t.isTTY {
		return "", errNoTerminal
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprint(t.out, question)
	ch := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		line, err := t.lines.ReadString('\n')
		if err != nil && line == "" {
			errc <- err
			return
		}
		ch <- strings.TrimSpace(line)
	}()
	select {
	case line := <-ch:
		return line, nil
	case err := <-errc:
		return "", fmt.Errorf("read answer: %w", err)
	case <-ctx.Done():
		fmt.Fprintln(t.out)
		return "", ctx.Err()
	}
}
