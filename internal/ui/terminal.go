package ui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/term"
)

// errNoTerminal is returned when a question needs a person and stdin is not
// a terminal.
var errNoTerminal = errors.New("no terminal to ask on")

// Terminal asks a person questions, one at a time: it reads the answers
// from in (a terminal, or nobody can be asked) and writes the questions to
// out. It implements secret.Prompter, and AskKey is a Gate's AskFunc.
type Terminal struct {
	mu    sync.Mutex
	in    io.Reader
	out   io.Writer
	fd    int  // stdin's descriptor when it is a terminal
	isTTY bool // stdin is a terminal
	lines *bufio.Reader
}

// NewTerminal returns the terminal of in and out.
func NewTerminal(in io.Reader, out io.Writer) *Terminal {
	t := &Terminal{in: in, out: out, fd: -1}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		t.fd, t.isTTY = int(f.Fd()), true
	}
	t.lines = bufio.NewReader(in)
	return t
}

// Interactive reports whether a person can be asked.
func (t *Terminal) Interactive() bool { return t.isTTY }

// ask takes the terminal for one question, until done is called, and
// prints the question.
func (t *Terminal) ask(question string) (done func(), err error) {
	if !t.isTTY {
		return nil, errNoTerminal
	}
	t.mu.Lock()
	fmt.Fprint(t.out, question)
	return t.mu.Unlock, nil
}

// ReadSecret asks for a value without echoing it.
func (t *Terminal) ReadSecret(ctx context.Context, prompt string) (string, error) {
	done, err := t.ask(prompt)
	if err != nil {
		return "", err
	}
	defer done()
	// ReadPassword turns echo off; a Ctrl-C meanwhile must not leave the
	// terminal that way.
	if old, err := term.GetState(t.fd); err == nil {
		defer term.Restore(t.fd, old)
	}
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

// AskKey prints question and reads one key press, without Enter: the
// building block of gates. Ctrl-C at the question interrupts drover as it
// would anywhere else.
func (t *Terminal) AskKey(ctx context.Context, question string) (string, error) {
	done, err := t.ask(question)
	if err != nil {
		return "", err
	}
	defer done()
	old, err := term.MakeRaw(t.fd)
	if err != nil {
		return t.readLine(ctx)
	}
	defer term.Restore(t.fd, old)
	type key struct {
		b   byte
		err error
	}
	ch := make(chan key, 1)
	// The read cannot be cancelled; on ctx cancellation the process is
	// about to exit and the goroutine ends with it.
	go func() {
		for {
			b, err := t.lines.ReadByte()
			if err != nil || (b != '\r' && b != '\n' && b != ' ') {
				ch <- key{b, err}
				return
			}
		}
	}()
	select {
	case k := <-ch:
		return t.keyAnswer(k.b, k.err)
	case <-ctx.Done():
		fmt.Fprint(t.out, "\r\n")
		return "", ctx.Err()
	}
}

// keyAnswer echoes a key press and turns Ctrl-C into an interrupt.
func (t *Terminal) keyAnswer(b byte, err error) (string, error) {
	if err != nil {
		fmt.Fprint(t.out, "\r\n")
		return "", fmt.Errorf("read answer: %w", err)
	}
	if b == 3 { // Ctrl-C: raw mode turned it into a byte
		fmt.Fprint(t.out, "^C\r\n")
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		return "", context.Canceled
	}
	fmt.Fprintf(t.out, "%c\r\n", b)
	return string(b), nil
}

// readLine reads one line of answer.
func (t *Terminal) readLine(ctx context.Context) (string, error) {
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
