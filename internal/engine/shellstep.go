package engine

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/drover-sh/drover/internal/transport"
)

// perStepConn is implemented by a Conn that cannot host a shell, such as a
// scripted test host that answers each command by its text: each plain
// step then gets its own session.
type perStepConn interface{ SessionPerStep() bool }

// plain runs a command without a PTY: in the stage's host shell when the
// host has one for this stage (see useShell), else in a session of its
// own. It returns what command returns.
func (hr *hostRun) plain(ctx context.Context, cmd string, o commandOpts) error {
	if !hr.useShell() {
		return hr.command(ctx, cmd, o)
	}
	return hr.shellCommand(ctx, cmd, o)
}

// useShell reports whether the host's plain commands go to the stage's
// host shell: always, unless Options or the connection ask for a session
// per step. A plain command alone in its stage goes there too: in a
// session of its own it would run in the login shell rather than sh, with
// stderr apart, and a timeout or Ctrl-C could only ask sshd to signal it,
// which OpenSSH refuses for root and which misses what it started in the
// background; the same step must not behave otherwise when a stage gains
// a second one.
func (hr *hostRun) useShell() bool {
	pc, ok := hr.h.conn.(perStepConn)
	return !(ok && pc.SessionPerStep()) && !hr.s.r.opts.SessionPerStep
}

// shellCommand runs cmd in the host shell, opening (or replacing) it
// first. Its output is the step's; it ends at its markers, at its timeout,
// when ctx is cancelled or the connection is lost, as command does.
func (hr *hostRun) shellCommand(ctx context.Context, cmd string, o commandOpts) error {
	sh, err := hr.hostShell(ctx)
	if err != nil {
		return err
	}
	d := hr.s.r.hostTimeout()
	n := sh.next()
	sh.out.setSink(n, hr.cutter(o))
	sh.errOut.setSink(n, hr.cutter(o))
	defer sh.out.setSink(0, nil)
	defer sh.errOut.setSink(0, nil)
	if err := sh.send(fmt.Sprintf("%s %s%d %s\n", stepRunner(cmd), sh.prefix, n, shQuote(cmd)), d); err != nil {
		return err
	}
	var expired <-chan time.Time
	if o.timeout > 0 {
		t := time.NewTimer(o.timeout)
		defer t.Stop()
		expired = t.C
	}
	err = hr.awaitStep(ctx, sh, n, false, expired)
	switch {
	case err == nil:
		return exitErr(sh.seen.rc)
	case err == errExpired:
		err = fmt.Errorf("%w after %s", errTimeout, o.timeout)
	}
	if !sh.broken {
		hr.stopStep(sh, n)
	}
	return err
}

// ownShellWords are the words that make a step run in a subshell of its
// job (d_sub) rather than in the job's shell (d_run): a trap of the step's
// own could replace the one that reports its end, and exec the shell.
var ownShellWords = regexp.MustCompile(`(^|[^A-Za-z0-9_])(trap|exec)([^A-Za-z0-9_]|$)`)

// stepRunner names the host shell function that runs cmd.
func stepRunner(cmd string) string {
	switch {
	case inlineStep(cmd):
		return "d_in"
	case ownShellWords.MatchString(cmd):
		return "d_sub"
	}
	return "d_run"
}

// inlineBuiltins are the commands a step may call to run in the host shell
// itself (d_in): builtins of every POSIX sh that change nothing in the
// shell and return at once.
var inlineBuiltins = map[string]bool{"true": true, "false": true, ":": true, "test": true, "[": true,
	"echo": true, "printf": true}

// inlineUnsafe are the bytes that could make a step more than one call of
// a builtin with literal words (expansions, which may assign, command
// substitution, lists, pipes, redirections, groups, comments, tilde,
// escapes, more lines), or have it read a directory (patterns).
const inlineUnsafe = "$`;&|()<>{}#~\\*?\n\r"

// fileTests are test's operators that look at a file. On a dead network
// mount they hang, and a hung step must be one drover can kill: in a shell
// of its own.
var fileTests = map[string]bool{"-b": true, "-c": true, "-d": true, "-e": true, "-f": true, "-g": true,
	"-G": true, "-h": true, "-k": true, "-L": true, "-N": true, "-O": true, "-p": true, "-r": true,
	"-s": true, "-S": true, "-u": true, "-w": true, "-x": true, "-nt": true, "-ot": true, "-ef": true}

// inlineStep reports whether cmd is one call of an inline builtin with
// literal words that touches no file: run in the host shell itself, it
// can change nothing there and cannot block, so it needs no shell of its
// own (and no fork). `test` and `[` qualify without file operators and
// quotes (a quoted operator is still one).
func inlineStep(cmd string) bool {
	if strings.ContainsAny(cmd, inlineUnsafe) || strings.IndexFunc(cmd, func(r rune) bool { return r < ' ' && r != '\t' }) >= 0 {
		return false
	}
	words := strings.FieldsFunc(cmd, func(r rune) bool { return r == ' ' || r == '\t' })
	if len(words) == 0 || !inlineBuiltins[words[0]] {
		return false
	}
	test := words[0] == "test" || words[0] == "["
	for _, w := range words[1:] {
		if strings.Contains(w, "[") || (test && (fileTests[w] || strings.ContainsAny(w, `'"`))) {
			return false
		}
	}
	return true
}

// hostShell returns the stage's host shell, opening a new one when there
// is none or the last one broke.
func (hr *hostRun) hostShell(ctx context.Context) (*hostShell, error) {
	if hr.sh != nil && !hr.sh.broken {
		return hr.sh, nil
	}
	hr.closeShell()
	sh, err := hr.openShell(ctx)
	if err != nil {
		return nil, err
	}
	hr.sh = sh
	return sh, nil
}

// closeShell ends the host shell, if one is open.
func (hr *hostRun) closeShell() {
	if hr.sh == nil {
		return
	}
	if !hr.sh.broken {
		hr.sh.send("d_done; exit\n", hr.s.r.hostTimeout())
	}
	hr.sh.close()
	hr.sh = nil
}

// errExpired is returned by awaitStep when expired fired.
var errExpired = fmt.Errorf("%w", errTimeout)

// awaitStep waits for the end marker of step n (the kill marker when
// kill), until expired, ctx or the connection end. A lost connection or an
// ended shell break the shell.
func (hr *hostRun) awaitStep(ctx context.Context, sh *hostShell, n int, kill bool, expired <-chan time.Time) error {
	for {
		if (kill && sh.seen.kill) || (!kill && sh.seen.end) {
			return nil
		}
		select {
		case m := <-sh.marks:
			sh.seen.add(m, n)
		case <-expired:
			return errExpired
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-hr.h.conn.Lost():
			sh.broken = true
			return hr.lostErr()
		case <-sh.ended:
			sh.broken = true
			return hr.shellEndErr(sh)
		}
	}
}

// shellEndErr says why the host shell's output ended while a step ran:
// the connection's loss when that is why, else errShellEnded. The streams
// of a dropped connection end just before the loss is declared, so the
// session's own end is awaited (it settles that) for up to the host
// timeout.
func (hr *hostRun) shellEndErr(sh *hostShell) error {
	if err := hr.waitCommand(context.Background(), sh.sess, hr.s.r.hostTimeout()); errors.Is(err, transport.ErrLost) {
		return hr.lostErr()
	}
	if err := hr.connErr(); err != nil {
		return err
	}
	return errShellEnded
}

// add records m when it is a marker of step n.
func (s *stepMarks) add(m mark, n int) {
	switch {
	case m.n != n:
	case m.kill:
		s.kill, s.krc = true, m.rc
	default:
		s.end, s.rc = true, m.rc
	}
}

// stopStep ends step n's processes: TERM, then KILL when the step has not
// ended within shellTermGrace of the TERM. The shell acknowledges each
// with the kill marker once the signals are sent; a shell that does not,
// in time, is closed (and replaced by the next step).
func (hr *hostRun) stopStep(sh *hostShell, n int) {
	d := hr.s.r.hostTimeout()
	kill := fmt.Sprintf("%s%dk", sh.prefix, n)
	if sh.send("d_term "+kill+"\n", d) != nil {
		return
	}
	if hr.awaitStep(context.Background(), sh, n, true, time.After(shellKillWait)) != nil {
		sh.broken = true
		sh.close()
		return
	}
	if hr.awaitStep(context.Background(), sh, n, false, time.After(shellTermGrace)) == nil {
		return
	}
	sh.seen.kill = false
	if sh.broken || sh.send("d_kill "+kill+"\n", d) != nil {
		return
	}
	if hr.awaitStep(context.Background(), sh, n, true, time.After(shellKillWait)) != nil {
		sh.broken = true
		sh.close()
	}
}

// exitErr is the error command returns for exit status rc.
func exitErr(rc int) error {
	if rc == 0 {
		return nil
	}
	return &transport.ExitError{Code: rc}
}
