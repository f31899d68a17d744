package ui

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"

	"github.com/drover-sh/drover/internal/event"
)

// BoardOptions configure a live board. Out and Style are required; the
// zero value of every other field is useful.
type BoardOptions struct {
	Out     io.Writer // the terminal
	Style   *Style
	Runbook string   // shown in the header until the run.start event names it
	Hosts   []string // the targeted hosts; they set the host column's width
	Verbose bool     // stream every output line, host-prefixed, above the board
	Quiet   bool     // no lines above the board, and the board is erased at Close
	// Interval is the time between frames; default 100ms.
	Interval time.Duration
	// Size reports the terminal's width and height; by default it is
	// queried on Out every frame, so a resized terminal is followed.
	Size func() (width, height int)
	// Now is the clock of elapsed times; default time.Now.
	Now func() time.Time
	// MaxHeld bounds the bytes of lines kept back while a question is
	// asked; beyond it lines are counted, not shown. Default 4 MiB.
	MaxHeld int
}

// Board is the live view of a run on a terminal: finished hosts (and with
// Verbose every output line) scroll above a board of a header and one line
// per host in flight, redrawn in place at a steady rate.
//
// It is an event.Sink, safe for concurrent use. One goroutine, started by
// NewBoard and stopped by Close, owns the terminal; Emit hands it events
// through a channel. A gate.ask event erases the board and stops drawing
// until its gate.answer, so a question asked on the same terminal is never
// drawn over; Emit of a gate.ask returns only once the board is erased.
type Board struct {
	o     BoardOptions
	state *boardState
	in    chan boardMsg
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
	err   error // first write error; read after done is closed

	// owned by the goroutine
	held    int
	tick    int
	pending []string
	pendLen int
	dropped int
	drawn   []int // widths of the board lines on screen
}

// boardMsg is one request to the board's goroutine.
type boardMsg struct {
	e       event.Event
	hold    bool          // erase the board and stop drawing
	release bool          // end one hold
	ack     chan struct{} // closed once the message is handled
}

var _ event.Sink = (*Board)(nil)

// NewBoard starts a board; Close stops it.
func NewBoard(o BoardOptions) *Board {
	if o.Interval <= 0 {
		o.Interval = 100 * time.Millisecond
	}
	if o.Size == nil {
		o.Size = terminalSize(o.Out)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxHeld <= 0 {
		o.MaxHeld = 4 << 20
	}
	b := &Board{o: o, state: newBoardState(o.Style, o.Verbose, o.Runbook, o.Hosts),
		in: make(chan boardMsg, 1024), quit: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

// terminalSize queries w's terminal, or says 80x24 when w is none.
func terminalSize(w io.Writer) func() (int, int) {
	f, ok := w.(*os.File)
	return func() (int, int) {
		if ok {
			if width, height, err := term.GetSize(int(f.Fd())); err == nil && width > 0 && height > 0 {
				return width, height
			}
		}
		return 80, 24
	}
}

// Emit implements event.Sink. It never fails the run: a terminal that
// cannot be written is reported by Close.
func (b *Board) Emit(e event.Event) error {
	m := boardMsg{e: e}
	if e.Kind == event.GateAsk {
		m.hold, m.ack = true, make(chan struct{})
	}
	b.send(m)
	return nil
}

// Hold erases the board and keeps it off the screen until release is
// called, for anything else that must write to the terminal (a password
// prompt). Holds nest.
func (b *Board) Hold() (release func()) {
	b.send(boardMsg{hold: true, ack: make(chan struct{})})
	var once sync.Once
	return func() { once.Do(func() { b.send(boardMsg{release: true, ack: make(chan struct{})}) }) }
}

func (b *Board) send(m boardMsg) {
	select {
	case b.in <- m:
	case <-b.quit:
		return
	}
	if m.ack != nil {
		select {
		case <-m.ack:
		case <-b.done:
		}
	}
}

// Close stops the board's goroutine after it has shown every event it was
// given, and leaves the final state on the screen (nothing when Quiet). It
// returns the first error writing to the terminal.
func (b *Board) Close() error {
	b.once.Do(func() { close(b.quit) })
	<-b.done
	return b.err
}

func (b *Board) loop() {
	defer close(b.done)
	t := time.NewTicker(b.o.Interval)
	defer t.Stop()
	for {
		select {
		case m := <-b.in:
			b.handle(m)
		case <-t.C:
			b.draw()
		case <-b.quit:
			b.drain()
			b.finish()
			return
		}
	}
}

// drain handles the messages sent before Close.
func (b *Board) drain() {
	for {
		select {
		case m := <-b.in:
			b.handle(m)
		default:
			return
		}
	}
}

func (b *Board) handle(m boardMsg) {
	if m.ack != nil {
		defer close(m.ack)
	}
	switch {
	case m.hold:
		if m.e.Kind != "" {
			b.keep(b.state.apply(m.e))
		}
		if b.held++; b.held == 1 {
			b.write(nil)
		}
		return
	case m.release:
		b.release()
		return
	}
	b.keep(b.state.apply(m.e))
	if m.e.Kind == event.GateAnswer {
		b.release()
	}
	if b.pendLen > 64<<10 {
		b.draw()
	}
}

func (b *Board) release() {
	if b.held > 0 {
		b.held--
	}
	if b.held == 0 {
		b.draw()
	}
}

// keep queues a line for above the board.
func (b *Board) keep(line string) {
	if line == "" || b.o.Quiet {
		return
	}
	if b.held > 0 && b.pendLen > b.o.MaxHeld {
		b.dropped++
		return
	}
	b.pending = append(b.pending, line)
	b.pendLen += len(line)
}

// draw shows the pending lines and a fresh board, unless a hold is on.
func (b *Board) draw() {
	if b.held > 0 {
		return
	}
	width, height := b.o.Size()
	b.tick++
	b.write(b.state.frame(b.o.Now(), b.tick, width, max(3, height-3)))
}

// finish shows what is left and the final board.
func (b *Board) finish() {
	b.held = 0
	if b.o.Quiet {
		b.write(nil)
		return
	}
	width, _ := b.o.Size()
	b.write(b.state.frame(b.o.Now(), b.tick, width, 1<<20))
}

// write replaces the board on screen: back to its first row, the pending
// lines, the new board (each line clearing what was under it), then clear
// to the end of the screen. One write per frame, so nothing flickers.
func (b *Board) write(board []string) {
	if len(b.drawn) == 0 && len(board) == 0 && len(b.pending) == 0 && b.dropped == 0 {
		return
	}
	var buf bytes.Buffer
	width, _ := b.o.Size()
	if rows := b.rowsDrawn(width); rows > 0 {
		fmt.Fprintf(&buf, "\r\x1b[%dA", rows)
	}
	for _, l := range b.pending {
		buf.WriteString(l)
		buf.WriteString("\x1b[K\n")
	}
	if b.dropped > 0 && b.held == 0 {
		fmt.Fprintf(&buf, "%s\x1b[K\n", b.o.Style.Warn.Render(fmt.Sprintf(
			"… %d output lines not shown while a question was on screen (the journal has them)", b.dropped)))
		b.dropped = 0
	}
	b.drawn = b.drawn[:0]
	for _, l := range board {
		buf.WriteString(l)
		buf.WriteString("\x1b[K\n")
		b.drawn = append(b.drawn, ansi.StringWidth(l))
	}
	buf.WriteString("\x1b[J")
	b.pending, b.pendLen = b.pending[:0], 0
	if _, err := b.o.Out.Write(buf.Bytes()); err != nil && b.err == nil {
		b.err = fmt.Errorf("draw the board: %w", err)
	}
}

// rowsDrawn is how many terminal rows the board on screen takes at width:
// a narrowed terminal wraps lines drawn for a wider one.
func (b *Board) rowsDrawn(width int) int {
	rows := 0
	for _, w := range b.drawn {
		rows += max(1, (w+width-1)/max(1, width))
	}
	return rows
}
