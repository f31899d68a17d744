//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// loadRate is the requests per second the load generator starts; the
// tests want at least loadMinRate answered over a whole cutover.
const (
	loadRate    = 250
	loadMinRate = 200
	loadWorkers = 32
)

// answer is one request of the load and what came back.
type answer struct {
	at      time.Duration // since the load started
	status  int
	server  string // X-Server: the backend server HAProxy chose
	release string // from the body "release ID"
	err     string
}

// load sends GET / through HAProxy at loadRate and checks every answer:
// status 200 and a body "release ID" with ID one of the releases allowed.
type load struct {
	url     string
	allowed []string
	client  *http.Client
	start   time.Time
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	answers []answer
	missed  int // ticks with every worker busy
}

func startLoad(t testing.TB, l *lb, allowed ...string) *load {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g := &load{url: "http://" + l.front + "/", allowed: allowed, start: time.Now(), cancel: cancel,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: loadWorkers}}}
	jobs := make(chan struct{})
	for range loadWorkers {
		g.wg.Go(func() {
			for range jobs {
				g.record(g.once())
			}
		})
	}
	g.wg.Go(func() {
		defer close(jobs)
		tick := time.NewTicker(time.Second / loadRate)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			select {
			case jobs <- struct{}{}:
			default:
				g.mu.Lock()
				g.missed++
				g.mu.Unlock()
			}
		}
	})
	t.Cleanup(g.stop)
	return g
}

func (g *load) stop() {
	g.cancel()
	g.wg.Wait()
}

// once makes one request.
func (g *load) once() answer {
	a := answer{at: time.Since(g.start)}
	resp, err := g.client.Get(g.url)
	if err != nil {
		a.err = err.Error()
		return a
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	a.status, a.server = resp.StatusCode, resp.Header.Get("X-Server")
	if err != nil {
		a.err = err.Error()
		return a
	}
	body := strings.TrimSpace(string(b))
	if rel, ok := strings.CutPrefix(body, "release "); ok && slices.Contains(g.allowed, rel) {
		a.release = rel
	} else if resp.StatusCode == http.StatusOK {
		a.err = fmt.Sprintf("unexpected body %q", excerptOf(body))
	}
	return a
}

func (a answer) failed() bool { return a.err != "" || a.status != http.StatusOK || a.release == "" }

func (g *load) record(a answer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answers = append(g.answers, a)
}

// loadReport sums up a load.
type loadReport struct {
	total, failed int
	missed        int
	rate          float64           // answers per second over the load's life
	failedBy      map[string]int    // failed answers by server ("" when none was named)
	firstSeen     map[string]string // server -> "ID at 1.234s" for each release's first answer
	failures      []answer          // the first few
	releases      map[string]int    // answers per release
}

// finish stops the load and sums it up.
func (g *load) finish() loadReport {
	g.stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	r := loadReport{total: len(g.answers), missed: g.missed, failedBy: map[string]int{}, firstSeen: map[string]string{}, releases: map[string]int{}}
	sort.Slice(g.answers, func(i, j int) bool { return g.answers[i].at < g.answers[j].at })
	var last time.Duration
	for _, a := range g.answers {
		last = max(last, a.at)
		if a.failed() {
			r.failed++
			r.failedBy[a.server]++
			if len(r.failures) < 10 {
				r.failures = append(r.failures, a)
			}
			continue
		}
		r.releases[a.release]++
		k := a.server + " " + a.release
		if _, ok := r.firstSeen[k]; !ok {
			r.firstSeen[k] = fmt.Sprintf("%.3fs", a.at.Seconds())
		}
	}
	if last > 0 {
		r.rate = float64(r.total) / last.Seconds()
	}
	return r
}

// String is the report as the tests log it.
func (r loadReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests (%.0f/s, %d ticks missed), %d failed %v, per release %v\n", r.total, r.rate, r.missed, r.failed, r.failedBy, r.releases)
	keys := make([]string, 0, len(r.firstSeen))
	for k := range r.firstSeen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  first answer of %s at %s\n", k, r.firstSeen[k])
	}
	for _, a := range r.failures {
		fmt.Fprintf(&b, "  failed at %.3fs: status %d server %q %s\n", a.at.Seconds(), a.status, a.server, a.err)
	}
	return b.String()
}

// wantRate fails t unless the load kept loadMinRate.
func (r loadReport) wantRate(t testing.TB) {
	t.Helper()
	if r.rate < loadMinRate {
		t.Errorf("load: %.0f requests/s, want at least %d", r.rate, loadMinRate)
	}
}

func excerptOf(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
