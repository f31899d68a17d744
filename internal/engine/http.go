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
		last = getOnce(ctx, client, st, deadline)
		if last.err == nil && probeMatches(st, last) {
			hr.output(commandOpts{step: st.Name}, fmt.Sprintf("%d after %s", last.status, plural(attempt, "attempt")))
			return okOutcome
		}
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

// describe says what the last attempt got: "status 503, body \"down\"".
func (p probe) describe() string {
	if p.status == 0 {
		return fmt.Sprintf("last error: %v", p.err)
	}
	return fmt.Sprintf("last status %d, body %q", p.status, excerpt(p.body))
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
