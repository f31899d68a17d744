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

// shellStart is the command of the host shell's session, run through the
// login shell.
var shellStart = "exec sh"

// shellScript is what the host shell is fed first. Every step runs as a
// background job of the shell, so that the shell never waits for a step
// and keeps reading; with stdin from /dev/null, so that the framing is
// never its input; with its stderr on stdout, so that one marker line
// after it ends both (drover shows the two streams as one anyway, now in
// the order they were written). The job reports the step's exit status
// as it ends.
//
// `d_run MARKER CMD` runs CMD in the job's own shell, which reports from
// its EXIT trap: `exit`, `cd` and `export` stay inside the step, and a
// step of builtins costs one fork. A step that sets traps or uses exec
// could keep that report from being printed; it runs as `d_sub MARKER
// CMD`, in a subshell of the job, which reports when the subshell ends.
//
// `d_in MARKER CMD` runs CMD in the host shell itself, for a step that is
// one call of a builtin with literal words that touches no file (see
// inlineStep): it changes nothing there and returns at once, so it is not
// worth a fork.
//
// A step's processes are the processes under its job, and every process
// whose environment holds the step's DROVER_STEP (what it started and left
// behind, also with setsid or double forks, as long as it kept its
// environment). `d_term KILLMARKER` and `d_kill KILLMARKER` signal them
// while the job runs, and print KILLMARKER once they have (d_kill with
// the job's status): finding the processes takes a few programs, and
// drover starts the next step, a retry say, only after that. The next
// d_run, or d_done, reaps the job. When the session ends (EOF,
// hang-up) the running step's processes are killed. What an earlier step
// left running is not touched.
const shellScript = `D_P= D_M=
d_run() { d_done; D_M=$1; { trap 'printf "\n%s %d\n" "$D_M" "$?"' EXIT; trap 'exit 143' TERM; DROVER_STEP=$1; export DROVER_STEP; eval "set --
$2"; } </dev/null 2>&1 & D_P=$!; }
d_sub() { d_done; D_M=$1; { trap : TERM; (DROVER_STEP=$1; export DROVER_STEP; eval "set --
$2") </dev/null 2>&1; printf '\n%s %d\n' "$D_M" "$?"; } </dev/null & D_P=$!; }
d_in() { d_done; D_M=$1; eval "$2" </dev/null 2>&1; printf '\n%s %d\n' "$D_M" "$?"; }
d_done() { [ -z "$D_P" ] || wait "$D_P" 2>/dev/null; D_P=; }
d_tree() {
ps -A -o pid= -o ppid= 2>/dev/null | awk -v r="$1" '{ p[$1] = $2 }
END { t[r] = 1; do { c = 0; for (x in p) if (!(x in t) && (p[x] in t)) { t[x] = 1; c = 1 } } while (c); for (x in t) print x }'
}
d_live() {
[ -n "$D_P" ] || return 1
[ -r "/proc/$D_P/stat" ] || return 0
read -r d_s < "/proc/$D_P/stat" || return 1
d_s=${d_s##*) }; [ "${d_s%% *}" != Z ]
}
d_sig() {
d_live || return 0
kill -"$1" $(d_tree "$D_P") 2>/dev/null
for d_f in $(grep -lzx "DROVER_STEP=$D_M" /proc/[0-9]*/environ 2>/dev/null); do
d_f=${d_f#/proc/}; kill -"$1" "${d_f%/environ}" 2>/dev/null
done
}
d_term() { d_sig TERM; printf '\n%s %d\n' "$1" 0; }
d_kill() {
d_r=0
if [ -n "$D_P" ]; then
d_sig KILL; wait "$D_P"; d_r=$?; D_P=
fi
printf '\n%s %d\n' "$1" "$d_r"
}
d_end() { d_sig KILL; }
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
	end, kill bool
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
	sh.errOut = &frameReader{plain: true, done: sh.closed}
	var outs []io.Reader
	sess, err := hr.openSession(ctx, func(sess transport.Session) error {
		var err error
		if outs, err = hr.outputs(sess, commandOpts{}); err != nil {
			return err
		}
		if sh.stdin, err = sess.StdinPipe(); err != nil {
			return fmt.Errorf("stdin of session: %w", err)
		}
		if err := sess.Start(shellStart); err != nil {
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
