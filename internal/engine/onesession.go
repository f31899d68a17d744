package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/shell"
	"github.com/drover-sh/drover/internal/transport"
)

// sessionUpload is an upload that reads the host's base and sends the
// stream in one session (see oneSession): the host's listing comes first
// on stdout; once it has ended, drover picks the stream for that base and
// writes it to the session's stdin. One session per host instead of two
// saves the host a login shell and sshd a channel for every upload.
type sessionUpload struct {
	hr   *hostRun
	st   plan.Step
	tree *tree
	pw   *io.PipeWriter

	mu      sync.Mutex
	listing []string // the base's manifest lines so far
	ended   bool     // the listing has ended; later lines are the step's output
	s       *upStream
	baseDir string // the base the stream was made against; "" for none
}

func (hr *hostRun) uploadOneSession(ctx context.Context, st plan.Step, t *tree) error {
	pr, pw := io.Pipe()
	u := &sessionUpload{hr: hr, st: st, tree: t, pw: pw}
	o := commandOpts{timeout: st.Timeout, stdin: pr, line: u.line}
	err := hr.command(ctx, "sh -c "+shell.Quote(oneSession(st.To, st.Base)), o) // closes pr when it ends
	u.mu.Lock()
	s, baseDir := u.s, u.baseDir
	u.mu.Unlock()
	if err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("the host ended the upload before it listed its base")
	}
	hr.output(commandOpts{step: st.Name}, s.report(baseDir))
	return nil
}

// line takes one line of the session's output: a line of the listing,
// its end (which starts the stream), or the step's own output.
func (u *sessionUpload) line(l string) {
	u.mu.Lock()
	if u.ended {
		u.mu.Unlock()
		u.hr.output(commandOpts{step: u.st.Name}, l)
		return
	}
	if l != manifestEnd {
		u.listing = append(u.listing, l)
		u.mu.Unlock()
		return
	}
	u.ended = true
	lines := u.listing
	u.listing = nil
	u.mu.Unlock()
	go u.feed(lines)
}

// feed picks the stream for the listed base and writes the line that
// says which, then the stream, to the session's stdin.
func (u *sessionUpload) feed(lines []string) {
	base := parseManifest(lines)
	if base != nil && strings.ContainsAny(base.dir, "\n\r") {
		base = nil
	}
	s, err := u.hr.s.r.streams.get(u.tree, base)
	if err != nil {
		u.pw.CloseWithError(err)
		return
	}
	// Only the base's directory is kept for the report: its manifest,
	// which holds every listing line, can go while the stream is sent.
	dir := ""
	if base != nil {
		dir = base.dir
	}
	u.mu.Lock()
	u.s, u.baseDir = s, dir
	u.mu.Unlock()
	u.pw.CloseWithError(u.send(streamHead(s, base), s.file))
}

// streamHead is the line before the stream that tells oneSession's
// script what comes: "MODE RO TAG BASEDIR", MODE delta or whole, RO 1 when
// the base has a directory its owner cannot write, TAG the suffix of the
// stream's own members.
func streamHead(s *upStream, base *baseManifest) string {
	if base == nil {
		return fmt.Sprintf("whole 0 %s -\n", s.tag)
	}
	ro := 0
	if base.readOnlyDirs {
		ro = 1
	}
	return fmt.Sprintf("delta %d %s %s\n", ro, s.tag, base.dir)
}

func (u *sessionUpload) send(head, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.WriteString(u.pw, head); err != nil {
		return err
	}
	_, err = transport.Copy(u.pw, f)
	return err
}
