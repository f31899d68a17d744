package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/transport"
)

// Bounds of what an http step reads and reports of a response body.
const (
	httpBodyLimit   = 64 << 10
	httpExcerptSize = 120
)

// probe is the last answer an http step got.
type probe struct {
	status int
	body   string
	err    error
}

// httpProbe requests the step's URL every interval until a response
// matches or the step's timeout ends; it fails with the last status and an
// excerpt of the last body.
func (hr *hostRun) httpProbe(ctx context.Context, st plan.Step) outcome {
	client := hr.httpClient(st)
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(st.Timeout)
	var last probe
	for attempt := 1; ; attempt++ {
		p := getOnce(ctx, client, st, deadline)
		if p.err == nil && probeMatches(st, p) {
			hr.output(commandOpts{step: st.Name}, fmt.Sprintf("%d after %s", p.status, plural(attempt, "attempt")))
			return okOutcome
		}
		last = last.then(p)
		if ctx.Err() != nil {
			return failed(context.Cause(ctx))
		}
		if time.Until(deadline) < st.Interval || !wait(ctx, st.Interval) {
			break
		}
	}
	if ctx.Err() != nil {
		return failed(context.Cause(ctx))
	}
	return failed(fmt.Errorf("%s: no match after %s: %s", st.Arg, st.Timeout, last.describe()))
}

// httpClient dials through the host's SSH connection, or from the
// control machine for via = "direct".
func (hr *hostRun) httpClient(st plan.Step) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	if st.Via != plan.ViaDirect {
		conn := hr.h.conn
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return transport.DialVia(ctx, conn, network, addr)
		}
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// getOnce makes one request, bounded by the interval (at least a second)
// and the step's deadline.
func getOnce(ctx context.Context, client *http.Client, st plan.Step, deadline time.Time) probe {
	end := time.Now().Add(max(st.Interval, time.Second))
	if deadline.Before(end) {
		end = deadline
	}
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.Arg, nil)
	if err != nil {
		return probe{err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return probe{err: errors.Unwrap(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, httpBodyLimit))
	return probe{status: resp.StatusCode, body: string(b), err: err}
}

func probeMatches(st plan.Step, p probe) bool {
	ok := p.status >= 200 && p.status <= 299
	if st.Status != 0 {
		ok = p.status == st.Status
	}
	return ok && (st.Body == nil || st.Body.MatchString(p.body))
}

// then folds the next attempt into what the step reports: the last answer
// the server gave stays, even when a later attempt got none (the step's
// deadline often cuts the final request short), and that later error is
// said beside it.
func (p probe) then(next probe) probe {
	if next.status != 0 || p.status == 0 {
		return next
	}
	p.err = next.err
	return p
}

// describe says what the last attempt got: "last status 503, body
// \"down\"", and the error of a later attempt that got no answer.
func (p probe) describe() string {
	if p.status == 0 {
		return fmt.Sprintf("last error: %v", p.err)
	}
	s := fmt.Sprintf("last status %d, body %q", p.status, excerpt(p.body))
	if p.err != nil {
		s += fmt.Sprintf(" (then: %v)", p.err)
	}
	return s
}

// excerpt keeps the start of a body on one line, printable characters only.
func excerpt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return '?'
	}, s)
	if r := []rune(s); len(r) > httpExcerptSize {
		s = string(r[:httpExcerptSize]) + "…"
	}
	return s
}
