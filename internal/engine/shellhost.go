package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// shellScript is what the host shell is fed first. Every step runs as
// `d_run MARKER CMD`: in a new session (setsid), so that its whole process
// group can be ended; with stdin from /dev/null, so that the framing is
// never its input; in a subshell of a shell that reports its exit status,
// so that `exit`, `cd` and `export` stay inside the step. The shell itself
// never waits for a step and keeps reading: d_term and d_kill end the
// running step's group, d_done reaps it. When the session ends (EOF,
// hang-up) the running step's group is killed.
const shellScript = `D_P=
D_S=setsid
command -v setsid >/dev/null 2>&1 || D_S=
D_W='trap : TERM; (eval "set --
$1") </dev/null; printf "\n%s %d\n" "$2" "$?"; printf "\n%s\n" "$2" >&2'
d_run() { $D_S sh -c "$D_W" sh "$2" "$1" </dev/null & D_P=$!; }
d_done() { [ -z "$D_P" ] || wait "$D_P" 2>/dev/null; D_P=; }
d_term() { [ -z "$D_P" ] || kill -TERM -"$D_P" 2>/dev/null || kill -TERM "$D_P" 2>/dev/null; }
d_kill() {
d_r=0
if [ -n "$D_P" ]; then
kill -KILL -"$D_P" 2>/dev/null || kill -KILL "$D_P" 2>/dev/null
wait "$D_P"; d_r=$?; D_P=
fi
printf '\n%s %d\n' "$1" "$d_r"; printf '\n%s\n' "$1" >&2
}
d_end() { [ -z "$D_P" ] || kill -KILL -"$D_P" 2>/dev/null || kill -KILL "$D_P" 2>/dev/null; }
trap d_end EXIT
trap 'exit 129' HUP
trap 'exit 143' TERM
`

// shellTermGrace is how long a step has to end after TERM before its
// process group is killed; shellKillWait how long the shell has to report
// the kill before it is given up and replaced.
const (
	shellTermGrace = 2 * time.Second
	shellKillWait  = 2 * time.Second
)

// errShellEnded is returned when the host shell's session ended while a
// step ran in it.
var errShellEnded = errors.New("the host shell ended")

// hostShell is one long-lived `sh` on a host, running the plain run steps
// of one stage one after the other. It is used by one goroutine (its
// hostRun) at a time.
type hostShell struct {
	sess    transport.Session
	stdin   io.WriteCloser
	prefix  string
	out     *frameReader
	errOut  *frameReader
	marks   chan mark
	closed  chan struct{} // closed by close: readers stop delivering
	ended   chan struct{} // closed when both streams ended
	readers sync.WaitGroup
	once    sync.Once
	n       int       // number of the step running or last run
	seen    stepMarks // markers of step n
	broken  bool      // the shell cannot run another step
	pending string    // sent with the next write: the shell script, at first
}

// stepMarks are the markers seen for one step.
type stepMarks struct {
	end, kill [2]bool // by stream: stdout, stderr
	rc, krc   int
}

// newMarkerPrefix returns a random marker prefix: output cannot end a
// step unless it prints this, which no step is told.
func newMarkerPrefix() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "drover-" + hex.EncodeToString(b) + "-"
}

// openShell starts `sh` in a new session on the host, within the host
// deadline.
func (hr *hostRun) openShell(ctx context.Context) (*hostShell, error) {
	sh := &hostShell{prefix: newMarkerPrefix(), marks: make(chan mark, 8), closed: make(chan struct{}),
		ended: make(chan struct{}), pending: shellScript}
	sh.out = &frameReader{prefix: sh.prefix, marks: sh.marks, done: sh.closed}
	sh.errOut = &frameReader{prefix: sh.prefix, stderr: true, marks: sh.marks, done: sh.closed}
	var outs []io.Reader
	sess, err := hr.openSession(ctx, func(sess transport.Session) error {
		var err error
		if outs, err = hr.outputs(sess, commandOpts{}); err != nil {
			return err
		}
		if sh.stdin, err = sess.StdinPipe(); err != nil {
			return fmt.Errorf("stdin of session: %w", err)
		}
		if err := sess.Start("exec sh"); err != nil {
			return fmt.Errorf("start shell: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sh.sess = sess
	for i, f := range []*frameReader{sh.out, sh.errOut} {
		sh.readers.Go(func() { f.run(outs[i]) })
	}
	go func() {
		sh.readers.Wait()
		close(sh.ended)
	}()
	return sh, nil
}

// send writes text (and what is pending) to the shell, bounded by d: a
// host that stops reading does not keep the step waiting; the shell is
// then broken.
func (sh *hostShell) send(text string, d time.Duration) error {
	text, sh.pending = sh.pending+text, ""
	done := make(chan error, 1)
	go func() {
		_, err := io.WriteString(sh.stdin, text)
		done <- err
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			sh.broken = true
			return fmt.Errorf("write to the host shell: %w", err)
		}
		return nil
	case <-t.C:
		sh.broken = true
		sh.close()
		return fmt.Errorf("%w: the host shell did not take a command within %s", errTimeout, d)
	}
}

// next numbers a new step.
func (sh *hostShell) next() int {
	sh.n++
	sh.seen = stepMarks{}
	return sh.n
}

// shQuote quotes s for sh as one word.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// close ends the shell's session; the host shell kills a step still
// running when its input ends.
func (sh *hostShell) close() {
	sh.once.Do(func() {
		close(sh.closed)
		sh.stdin.Close()
		sh.sess.Close()
	})
	sh.readers.Wait()
}
