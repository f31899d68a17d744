package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/drover-sh/drover/internal/plan"
	"github.com/drover-sh/drover/internal/shell"
)

// A fetch step has the host download a URL itself, with curl or wget,
// into a temporary name next to its target, check the download's SHA-256,
// unpack it (a .tar, .tar.gz or .tgz becomes a directory; anything else
// stays a file) and rename it into place, as an upload does: a failed or
// cut download, or a checksum mismatch, leaves nothing at the target. With
// a serve tunnel, the host pulls from a directory this machine serves for
// the run, through the SSH connection; the operator's machine then serves
// each host, but the hosts do the work of the transfer themselves.

// serveTunnels starts an HTTP server on a loopback port for each tunnel
// that serves a directory, and returns the plan's tunnels with those
// ports as their local end. stop closes the servers.
func serveTunnels(tunnels []plan.Tunnel) (out []plan.Tunnel, stop func(), err error) {
	var servers []*http.Server
	stop = func() {
		for _, s := range servers {
			s.Close()
		}
	}
	for _, t := range tunnels {
		if t.Serve != "" {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				stop()
				return nil, nil, fmt.Errorf("serve %s: %w", t.Serve, err)
			}
			s := &http.Server{Handler: http.FileServer(http.Dir(t.Serve)), ReadHeaderTimeout: 10 * time.Second}
			servers = append(servers, s)
			go s.Serve(ln)
			t.Local = ln.Addr().String()
		}
		out = append(out, t)
	}
	return out, stop, nil
}

// servedFile is the local file behind url when a serve tunnel serves it
// (the URL's host and port are the tunnel's remote end), else "".
func servedFile(tunnels []plan.Tunnel, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	for _, t := range tunnels {
		if t.Serve != "" && sameAddr(u.Host, t.Remote) {
			return filepath.Join(t.Serve, filepath.FromSlash(path.Clean("/"+u.Path)))
		}
	}
	return ""
}

func sameAddr(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil {
		return false
	}
	norm := func(h string) string {
		if h == "localhost" || h == "" {
			return "127.0.0.1"
		}
		return h
	}
	return pa == pb && norm(ha) == norm(hb)
}

// sumCache hashes each local file once per run.
type sumCache struct {
	mu   sync.Mutex
	sums map[string]string
}

func (c *sumCache) get(p string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.sums[p]; ok {
		return s, nil
	}
	s, err := fileSum(p)
	if err != nil {
		return "", err
	}
	if c.sums == nil {
		c.sums = map[string]string{}
	}
	c.sums[p] = s
	return s, nil
}

// fetch runs a fetch step.
func (hr *hostRun) fetch(ctx context.Context, st plan.Step) outcome {
	want := st.Sha256
	if want == "" {
		if f := servedFile(hr.s.r.tunnels, st.Arg); f != "" {
			sum, err := hr.s.r.sums.get(f)
			if err != nil {
				return failed(fmt.Errorf("fetch %s: the served file: %w", st.Arg, err))
			}
			want = sum
		}
	}
	var last string
	o := commandOpts{timeout: st.Timeout, step: st.Name, line: func(l string) { last = l }}
	if err := hr.command(ctx, "sh -c "+shell.Quote(fetchScript(st.To, st.Arg, want)), o); err != nil {
		if strings.Contains(last, "checksum mismatch") {
			err = errors.New(last)
		}
		return failed(fmt.Errorf("fetch %s to %s: %w", st.Arg, st.To, err))
	}
	return okOutcome
}

// fetchScript downloads url to a temporary name next to to, checks it
// against want (when set), unpacks an archive, and renames the result
// into place, never over the live release.
func fetchScript(to, rawURL, want string) string {
	kind := "file"
	switch {
	case strings.HasSuffix(rawURL, ".tar.gz"), strings.HasSuffix(rawURL, ".tgz"):
		kind = "tgz"
	case strings.HasSuffix(rawURL, ".tar"):
		kind = "tar"
	}
	return fmt.Sprintf(uploadPrelude+`u=%s
want=%s
f="$t.download"
trap 'rm -rf "$t" "$o" "$f"' EXIT
`+liveCheck+`
if command -v curl >/dev/null 2>&1; then
	curl -fsS -o "$f" "$u"
elif command -v wget >/dev/null 2>&1; then
	wget -q -O "$f" "$u"
else
	echo "drover: fetch needs curl or wget on the host" >&2
	exit 1
fi
n=$(wc -c < "$f")
sum=$(sha256sum "$f")
sum=${sum%%%% *}
if [ -n "$want" ] && [ "$sum" != "$want" ]; then
	printf 'checksum mismatch: %%s has sha256 %%s, want %%s\n' "$u" "$sum" "$want" >&2
	exit 1
fi
case %s in
tgz) mkdir "$t"; gzip -dc "$f" | tar -x -p -f - -C "$t" ;;
tar) mkdir "$t"; tar -x -p -f "$f" -C "$t" ;;
*) mv -f "$f" "$t" ;;
esac
`+placeTree+`
printf 'fetched %%s bytes, sha256 %%s%%s\n' "$n" "$sum" "${want:+ (checked)}"`,
		shell.Quote(to), shell.Quote(rawURL), shell.Quote(want), kind)
}
