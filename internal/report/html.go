package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/drover-sh/drover/internal/event"
)

//go:embed report.html.tmpl
var pageText string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"dur":    roundDur,
	"when":   func(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") },
	"exit":   exitText,
	"failed": func(r event.Result) bool { return r != event.OK && r != event.Skipped && r != "" },
}).Parse(pageText))

// WriteHTML writes run as a self-contained HTML page.
func WriteHTML(w io.Writer, run Run) error {
	data, err := timelineJSON(run)
	if err != nil {
		return err
	}
	view := struct {
		Run
		Summary  []Host
		Timeline template.JS
		Failed   int
	}{Run: run, Summary: summaryOrder(run.Hosts), Timeline: template.JS(data)}
	for _, h := range run.Hosts {
		if h.Failed() {
			view.Failed++
		}
	}
	if err := page.Execute(w, view); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// summaryOrder puts failed hosts first, each group in inventory order.
func summaryOrder(hosts []Host) []Host {
	out := slices.Clone(hosts)
	slices.SortStableFunc(out, func(a, b Host) int {
		switch {
		case a.Failed() == b.Failed():
			return 0
		case a.Failed():
			return -1
		default:
			return 1
		}
	})
	return out
}

// timelineJSON is the compact data the page's script draws: times in
// milliseconds, one array per bar: start, length, class, tooltip.
func timelineJSON(run Run) ([]byte, error) {
	type row struct {
		Name   string  `json:"n"`
		Failed bool    `json:"f,omitempty"`
		Bars   [][]any `json:"b"`
	}
	out := struct {
		Span    int64   `json:"span"`
		Rows    []row   `json:"rows"`
		Markers [][]any `json:"marks"`
	}{Span: max(run.Span.Milliseconds(), 1)}
	for _, h := range run.Hosts {
		r := row{Name: h.Name, Failed: h.Failed(), Bars: [][]any{}}
		for _, st := range h.Steps {
			r.Bars = append(r.Bars, []any{st.Start.Milliseconds(), st.Length.Milliseconds(), barClass(st), tooltip(h.Name, st)})
		}
		out.Rows = append(out.Rows, r)
	}
	for _, m := range run.Markers {
		out.Markers = append(out.Markers, []any{m.At.Milliseconds(), m.Kind, m.Label})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode timeline: %w", err)
	}
	return b, nil
}

// barClass is the CSS class of a step's bar: its result, or undo.
func barClass(st Step) string {
	res := string(st.Result)
	if res == "" {
		res = "running"
	}
	if st.Undo {
		return "undo " + res
	}
	return res
}

func tooltip(host string, st Step) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s · %s / %s\n%s, %s", host, st.Stage, st.Name, cmpResult(st.Result), roundDur(st.Length))
	if st.Exit != nil {
		fmt.Fprintf(&b, ", exit %d", *st.Exit)
	}
	if st.Undo {
		b.WriteString(" (undo)")
	}
	if st.Error != "" {
		b.WriteString("\n" + st.Error)
	}
	for _, l := range st.Tail {
		b.WriteString("\n│ " + l)
	}
	return b.String()
}

func cmpResult(r event.Result) string {
	if r == "" {
		return "did not end"
	}
	return string(r)
}

func exitText(p *int) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}

func roundDur(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

// visible shows control characters and invalid UTF-8 as text, so a host's
// bytes cannot do anything but be read.
func visible(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(caret(r))
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func caret(r rune) string {
	if r == 0x7f {
		return "^?"
	}
	return "^" + string(rune(r+'@'))
}
