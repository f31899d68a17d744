//go:build e2e && chaos

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// chaosRow is one line of the chaos table.
type chaosRow struct {
	fault, phase string
	outcome      string
	old, new     int // hosts on r1, on r2 at the end
	locks        int // hosts holding the farm lock at the end
	journal      string
	resumed      string
	secrets      int // places the secret was found
	took         time.Duration
	problems     []string
}

// hostEnd is what a host shows once the scenario is over.
type hostFinal struct {
	current string
	valid   bool // current points at an existing release directory
	locked  bool
}

// check runs the resume if the scenario has one, then every invariant.
func (c *chaosRun) check(t *testing.T, hosts []string, took time.Duration) chaosRow {
	s := c.s
	row := chaosRow{fault: s.fault, phase: s.phase, took: took, resumed: "-"}
	problem := func(format string, args ...any) { row.problems = append(row.problems, fmt.Sprintf(format, args...)) }
	if c.hung {
		problem("hang: drover still ran after %s", chaosLimit)
	}
	if c.missed {
		problem("the fault's moment never came: the run never reached %s", s.phase)
	}
	codes := slices.Clone(c.codes)
	slices.Sort(codes)
	if want := slices.Sorted(slices.Values(s.codes)); !slices.Equal(codes, want) {
		problem("exit %v, want %v", codes, want)
	}
	if s.resume != nil {
		code := c.resumeRun(t)
		row.resumed = "ok"
		if !slices.Contains(s.resume, code) {
			row.resumed = fmt.Sprintf("exit %d", code)
			problem("resume: exit %d, want %v", code, s.resume)
		}
	}
	c.checkHosts(t, hosts, &row, problem)
	c.checkJournals(t, &row, problem)
	c.checkLeaks(t, &row, problem)
	row.outcome = fmt.Sprintf("exit %s, %d MB", joinInts(c.codes), c.maxRSS/1024)
	if s.fault == "1 GB of output" && c.maxRSS > 100*1024 {
		problem("peak RSS %d MB with 1 GB of output, want under 100 MB", c.maxRSS/1024)
	}
	return row
}

// checkHosts reads every host from inside its namespace (a scenario may
// have mounted over /srv/app there).
func (c *chaosRun) checkHosts(t *testing.T, hosts []string, row *chaosRow, problem func(string, ...any)) {
	for _, h := range hosts {
		f := readFinal(t, h)
		switch f.current {
		case "r1":
			row.old++
		case "r2":
			row.new++
		}
		if !f.valid {
			problem("%s: current is %q, not a release", h, f.current)
		}
		lost := slices.Contains(c.s.lost, h)
		if f.locked {
			row.locks++
			stuck := slices.Contains(c.s.stuck, h)
			switch {
			case stuck && !saysLockLeft(c.output(), h):
				problem("%s: the lock could not be removed and drover did not say so", h)
			case !stuck && (!lost || c.s.resume != nil):
				problem("%s: the farm lock is still held", h)
			}
		}
		if lost || c.s.want == "" || f.current == c.s.want {
			continue
		}
		problem("%s: on %q, want %s", h, f.current, c.s.want)
	}
}

func readFinal(t *testing.T, h string) hostFinal {
	out, _ := farmExecCode(t, h, `cur=$(readlink /srv/app/current); echo "$cur"; `+
		`case "$cur" in releases/*) test -d "/srv/app/$cur" && echo valid;; esac; `+
		`test -e /srv/app/.drover/lock && echo locked; true`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return hostFinal{current: filepath.Base(lines[0]), valid: slices.Contains(lines, "valid"), locked: slices.Contains(lines, "locked")}
}

// checkJournals: every journal the scenario wrote is listed and shown by
// drover log, and records an end for every host it started.
func (c *chaosRun) checkJournals(t *testing.T, row *chaosRow, problem func(string, ...any)) {
	row.journal = "ok"
	files := journalsSince(t, c.started)
	if len(files) == 0 && !slices.Equal(c.s.codes, []int{2}) {
		row.journal = "none"
		problem("no journal written")
	}
	list, code := droverLog(t)
	for _, f := range files {
		id := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		if code != 0 || !strings.Contains(list, id) {
			row.journal = "not listed"
			problem("drover log does not list run %s (exit %d)", id, code)
		}
		if _, code := droverLog(t, id); code != 0 {
			row.journal = "unreadable"
			problem("drover log %s: exit %d", id, code)
		}
		killed := c.codes[0] == 137 && c.s.resume == nil
		if open := openHosts(t, f); len(open) > 0 && !killed {
			row.journal = "host ends missing"
			problem("journal %s: no host.end for %v", id, open)
		}
	}
}

// saysLockLeft reports whether out has a line naming host h and its lock.
func saysLockLeft(out, h string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, h) && strings.Contains(strings.ToLower(line), "lock") {
			return true
		}
	}
	return false
}

// droverLog runs drover log with args and returns its stdout and exit code.
func droverLog(t *testing.T, args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, droverBin, append([]string{"log"}, args...)...)
	c.Env = droverEnv()
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	code := exitStatus(t, c.Run())
	if code != 0 {
		t.Logf("drover log %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String(), code
}

// journalsSince lists the journals written since t0.
func journalsSince(t *testing.T, t0 time.Time) []string {
	all, _ := filepath.Glob(filepath.Join(journalDir(), "*.jsonl"))
	var out []string
	for _, f := range all {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(t0) {
			out = append(out, f)
		}
	}
	return out
}

// openHosts lists "stage/host" pairs with a host.start and no host.end
// after it. Lines that do not parse are counted as a problem too.
func openHosts(t *testing.T, path string) []string {
	fh, err := os.Open(path)
	if err != nil {
		return []string{"journal: " + err.Error()}
	}
	defer fh.Close()
	open := map[string]bool{}
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 64<<20)
	var bad []string
	for sc.Scan() {
		var e journalEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			bad = append(bad, "unparsable line")
			continue
		}
		switch e.Kind {
		case "host.start":
			open[e.Stage+"/"+e.Host] = true
		case "host.end":
			delete(open, e.Stage+"/"+e.Host)
		}
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, "read: "+err.Error())
	}
	for k := range open {
		bad = append(bad, k)
	}
	slices.Sort(bad)
	return bad
}

// checkLeaks: the secret nowhere, no raw escape byte on drover's output.
func (c *chaosRun) checkLeaks(t *testing.T, row *chaosRow, problem func(string, ...any)) {
	out := c.output()
	if strings.Contains(out, chaosSecret) {
		row.secrets++
		problem("the secret is in drover's output")
	}
	if i := strings.IndexAny(out, "\x1b\a"); i >= 0 {
		problem("a raw control byte reached drover's output: %q", out[max(0, i-20):min(len(out), i+20)])
	}
	var files []string
	files = append(files, journalsSince(t, c.started)...)
	filepath.Walk(c.logDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	for _, f := range files {
		if fileContains(f, chaosSecret) {
			row.secrets++
			problem("the secret is in %s", f)
		}
	}
}

// fileContains reads f in pieces (a transcript may hold a gigabyte).
func fileContains(f, s string) bool {
	fh, err := os.Open(f)
	if err != nil {
		return false
	}
	defer fh.Close()
	buf := make([]byte, 1<<20)
	var tail []byte
	for {
		n, err := fh.Read(buf)
		chunk := append(tail, buf[:n]...)
		if strings.Contains(string(chunk), s) {
			return true
		}
		tail = append([]byte(nil), chunk[max(0, len(chunk)-len(s)):]...)
		if err != nil {
			return false
		}
	}
}

func joinInts(v []int) string {
	var s []string
	for _, n := range v {
		s = append(s, fmt.Sprint(n))
	}
	return strings.Join(s, ",")
}

// printChaosTable prints the table on stdout, where `make chaos` shows it.
func printChaosTable(t *testing.T, rows []chaosRow) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-24s %-10s %-22s %3s %3s %5s %-18s %-8s %7s %7s %s\n",
		"FAULT", "PHASE", "OUTCOME", "OLD", "NEW", "LOCKS", "JOURNAL", "RESUMED", "SECRETS", "TIME", "INVARIANTS")
	for _, r := range rows {
		inv := "hold"
		if len(r.problems) > 0 {
			inv = fmt.Sprintf("%d broken", len(r.problems))
		}
		fmt.Fprintf(&b, "%-24s %-10s %-22s %3d %3d %5d %-18s %-8s %7d %6.1fs %s\n", r.fault, r.phase, r.outcome,
			r.old, r.new, r.locks, r.journal, r.resumed, r.secrets, r.took.Seconds(), inv)
	}
	fmt.Print(b.String())
}
