package sshx

import (
	"reflect"
	"slices"
	"sync"

	"golang.org/x/crypto/ssh"
)

// A connection's global requests from its host must be read, or the
// connection stalls: OpenSSH sends hostkeys-00@openssh.com after login and,
// with ClientAliveInterval, keepalives of its own. The end of those
// requests is also the end of the connection. ssh.NewClient reads them in
// a goroutine per connection, and a conn would wait for the end in
// another; here one goroutine serves watchGroup connections instead. A
// farm of 1,000 hosts keeps every connection open for the whole run, and
// each goroutine is one more stack the collector scans in every cycle.

// watchGroup is how many connections one goroutine watches. Every event
// costs a select over the group, so a small group keeps that cheap.
const watchGroup = 16

// noRequests is given to ssh.NewClient in place of the connection's global
// requests: closed, so the client's own reader ends at once.
var noRequests = func() chan *ssh.Request {
	c := make(chan *ssh.Request)
	close(c)
	return c
}()

// watched is one connection's global requests, read by a watcher.
type watched struct {
	reqs   <-chan *ssh.Request
	mu     sync.Mutex
	gone   bool   // the requests ended: the connection is gone
	onGone func() // run once they end
}

// whenGone runs fn, in a goroutine of its own, once the connection is
// gone; at once if it already is.
func (w *watched) whenGone(fn func()) {
	w.mu.Lock()
	if !w.gone {
		w.onGone = fn
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	go fn()
}

func (w *watched) end() {
	w.mu.Lock()
	w.gone = true
	fn := w.onGone
	w.mu.Unlock()
	if fn != nil {
		go fn()
	}
}

// watcher is the goroutine of up to watchGroup connections.
type watcher struct {
	add chan *watched
	n   int // connections watched or being added; guarded by watchers.mu
}

var watchers struct {
	mu   sync.Mutex
	open []*watcher
}

// watchRequests answers reqs, a connection's global requests, as
// ssh.NewClient would (every one refused) until they end.
func watchRequests(reqs <-chan *ssh.Request) *watched {
	w := &watched{reqs: reqs}
	watchers.mu.Lock()
	var g *watcher
	for _, x := range watchers.open {
		if x.n < watchGroup {
			g = x
			break
		}
	}
	if g == nil {
		g = &watcher{add: make(chan *watched, watchGroup)}
		watchers.open = append(watchers.open, g)
		go g.run()
	}
	g.n++
	watchers.mu.Unlock()
	g.add <- w // never blocks: at most watchGroup are added at once
	return w
}

func (g *watcher) run() {
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(g.add)}}
	var ws []*watched
	for {
		i, v, ok := reflect.Select(cases)
		if i == 0 {
			w := v.Interface().(*watched)
			ws = append(ws, w)
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(w.reqs)})
			continue
		}
		if ok {
			if r := v.Interface().(*ssh.Request); r.WantReply {
				go r.Reply(false, nil) // a host that stopped reading holds only this
			}
			continue
		}
		w := ws[i-1]
		ws = slices.Delete(ws, i-1, i)
		cases = slices.Delete(cases, i, i+1)
		w.end()
		watchers.mu.Lock()
		g.n--
		if g.n == 0 {
			watchers.open = slices.DeleteFunc(watchers.open, func(x *watcher) bool { return x == g })
			watchers.mu.Unlock()
			return
		}
		watchers.mu.Unlock()
	}
}
