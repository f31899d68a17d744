package ui

import (
	"fmt"
	"io"
	"strings"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/event"
	"github.com/drover-sh/drover/internal/inventory"
)

// HostOutput is what one host answered to an ad-hoc command.
type HostOutput struct {
	Host   string
	Output string // stdout and stderr as the host printed them
	Exit   int    // exit status; meaningless when Err is set
	Err    string // the host did not run the command to the end: unreachable, lost, interrupted
}

// HostOutputs gathers each host's answer, as col kept it, for folding.
func HostOutputs(sum *engine.Summary, col *Collector) []HostOutput {
	out := make([]HostOutput, 0, len(sum.Hosts))
	for _, h := range sum.Hosts {
		ho := HostOutput{Host: h.Host, Output: col.Output(h.Host)}
		code, ok := col.Exit(h.Host)
		switch {
		case h.Result == event.Unreachable || h.Result == event.Interrupted || !ok:
			ho.Err = h.Note
			if ho.Err == "" {
				ho.Err = string(h.Result)
			}
		default:
			ho.Exit = code
		}
		out = append(out, ho)
	}
	return out
}

// group is one distinct answer and the hosts that gave it.
type group struct {
	hosts  []string
	output string
	exit   int
	err    string
}

// Fold groups identical answers: same output and same exit status (the
// dshbak -c idea). Groups keep the order of their first host; hosts that
// exited 0 come first, then non-zero exits, then hosts that did not finish.
func fold(results []HostOutput) []group {
	var ok, bad, broken []group
	index := map[string]int{}
	for _, r := range results {
		key := fmt.Sprintf("%d\x00%s\x00%s", r.Exit, r.Err, r.Output)
		list := &ok
		switch {
		case r.Err != "":
			list = &broken
			key = "err\x00" + r.Host // each broken host has its own reason line
		case r.Exit != 0:
			list = &bad
		}
		if i, seen := index[key]; seen {
			(*list)[i].hosts = append((*list)[i].hosts, r.Host)
			continue
		}
		index[key] = len(*list)
		*list = append(*list, group{hosts: []string{r.Host}, output: r.Output, exit: r.Exit, err: r.Err})
	}
	return append(append(ok, bad...), broken...)
}

// Fold writes results folded by identical output, each block headed by a
// compressed host list, the exit status and a bar of how many hosts share
// it; hosts that did not finish are listed last with their reason. What
// the hosts printed is sanitized: escape sequences show as text.
func Fold(w io.Writer, st *Style, results []HostOutput) {
	groups := fold(results)
	total := len(results)
	for _, g := range groups {
		if g.err != "" {
			continue
		}
		fmt.Fprintln(w, blockHeader(st, g, total))
		out := SanitizeText(strings.TrimRight(g.output, "\r\n"))
		if out != "" {
			fmt.Fprintln(w, out)
		}
	}
	var broken []group
	for _, g := range groups {
		if g.err != "" {
			broken = append(broken, g)
		}
	}
	if len(broken) == 0 {
		return
	}
	rule := st.rule()
	fmt.Fprintln(w, st.Fail.Render(fmt.Sprintf("%s did not finish (%d) %s", rule, len(broken), rule)))
	for _, g := range broken {
		fmt.Fprintf(w, "%s  %s\n", st.Host.Render(Sanitize(g.hosts[0])), Sanitize(g.err))
	}
}

func blockHeader(st *Style, g group, total int) string {
	n := len(g.hosts)
	status := st.OK.Render("exit 0")
	if g.exit != 0 {
		status = st.Fail.Render(fmt.Sprintf("exit %d", g.exit))
	}
	count := fmt.Sprintf("%d/%d hosts", n, total)
	return fmt.Sprintf("%s %s  %s  %s  %s",
		st.Border.Render(st.rule()), st.Host.Render(Sanitize(inventory.Compress(g.hosts))),
		status, st.Dim.Render(count), st.Bar.Render(bar(n, total, 20, st.ASCII)))
}

// rule is the short line that opens a block header.
func (s *Style) rule() string {
	if s.ASCII {
		return "--"
	}
	return "──"
}

// bar draws n of total as a bar of width cells, in ASCII for plain output.
func bar(n, total, width int, ascii bool) string {
	if total <= 0 {
		return ""
	}
	on, off := "█", "░"
	if ascii {
		on, off = "#", "."
	}
	full := (n*width + total - 1) / total
	return strings.Repeat(on, full) + strings.Repeat(off, width-full)
}
