package journal

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/drover-sh/drover/internal/event"
)

// appendOutput appends the JSON of a step.output event, the journal's
// commonest by far (one per line a host prints), as json.Marshal writes
// it, without its reflection: a run whose hosts print a million lines
// spent most of its CPU there. It reports false for an event with any
// field an output line does not have; encode marshals those.
func appendOutput(b []byte, e event.Event) ([]byte, bool) {
	if e.Kind != event.StepOutput || e.Runbook != "" || e.Batch != 0 || e.Batches != 0 || e.Hosts != nil ||
		e.Text != "" || e.Answer != "" || e.Result != "" || e.Exit != nil || e.Error != "" || e.Duration != 0 ||
		e.Params != nil || e.Code != 0 || e.User != "" {
		return b, false
	}
	if y := e.Time.Year(); y < 0 || y > 9999 {
		return b, false // json.Marshal refuses such a time
	}
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","kind":`...)
	b = appendString(b, string(e.Kind))
	for _, f := range [...]struct{ name, value string }{{"run_id", e.RunID}, {"stage", e.Stage}, {"host", e.Host}, {"step", e.Step}} {
		if f.value != "" {
			b = append(append(append(b, ",\""...), f.name...), "\":"...)
			b = appendString(b, f.value)
		}
	}
	if e.StepIndex != 0 {
		b = strconv.AppendInt(append(b, `,"step_index":`...), int64(e.StepIndex), 10)
	}
	if e.Undo {
		b = append(b, `,"undo":true`...)
	}
	if e.Line != "" {
		b = appendString(append(b, `,"line":`...), e.Line)
	}
	return append(b, '}'), true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it: quotes, backslashes and control characters; <, > and & as
// \u escapes; U+2028 and U+2029; invalid UTF-8 as U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
