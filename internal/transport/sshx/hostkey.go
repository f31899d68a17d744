package sshx

import (
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/drover-sh/drover/internal/transport"
)

// defaultGlobalKnownHosts are read when an endpoint names no
// GlobalKnownHostsFile, as OpenSSH does.
var defaultGlobalKnownHosts = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}

// hostKeyCheck verifies one host's key against its known_hosts files and
// remembers the problem it found, so Dial can return it as it is instead of
// wrapped in the handshake error.
type hostKeyCheck struct {
	d         *Dialer
	user      []string // UserKnownHostsFile; the first is written on accept-new
	global    []string // GlobalKnownHostsFile, read only
	host      string   // the name looked up: HostKeyAlias, or "host" / "[host]:port"
	bare      string   // the host without the port, tried as ssh does when host is unknown; "" when the same
	principal string   // the name a host certificate must list
	mode      string   // "yes", "ask" or "accept-new"
	hash      bool     // write hashed names
	entries   []khEntry

	mu  sync.Mutex
	err error
	key ssh.PublicKey // the key accepted
}

// knownHostsCache is the Dialer's cache of parsed known_hosts files.
type knownHostsCache struct{ khFileCache }

// newHostKeyCheck loads the endpoint's known_hosts files. Files that do not
// exist yet count as empty.
func (d *Dialer) newHostKeyCheck(ep transport.Endpoint) (*hostKeyCheck, error) {
	hc := &hostKeyCheck{
		d:      d,
		user:   withoutNone(ep.KnownHosts),
		global: withoutNone(ep.GlobalKnownHosts),
		mode:   d.strictMode(ep),
		hash:   ep.HashKnownHosts,
	}
	if ep.GlobalKnownHosts == nil {
		hc.global = defaultGlobalKnownHosts
	}
	hc.host, hc.bare, hc.principal = lookupNames(ep)
	names := []string{hc.host}
	if hc.bare != "" {
		names = append(names, hc.bare)
	}
	// Only the entries that name the host, by either of its lookup names:
	// every check looks at no others, and a connection keeps its check
	// (for key re-exchanges), so it must not hold the whole file, which on
	// a farm of n hosts would be n entries for each of n connections.
	var err error
	hc.entries, err = d.knownHosts.entriesFor(slices.Concat(hc.user, hc.global), names...)
	if err != nil {
		return nil, err
	}
	return hc, nil
}

// lookupNames are the names ssh looks a host up by: the known_hosts name,
// the name without a port, and the principal of a host certificate.
func lookupNames(ep transport.Endpoint) (host, bare, principal string) {
	if ep.HostKeyAlias != "" {
		alias := strings.ToLower(ep.HostKeyAlias)
		return alias, "", alias
	}
	name := strings.ToLower(ep.Host)
	host = strings.ToLower(knownhosts.Normalize(ep.Addr()))
	if host != name {
		bare = name
	}
	return host, bare, name
}

// withoutNone drops "none", which ssh_config uses for "no file".
func withoutNone(files []string) []string {
	return slices.DeleteFunc(slices.Clone(files), func(f string) bool { return f == "none" || f == "" })
}

// strictMode is the endpoint's StrictHostKeyChecking, reduced to what
// drover does: "yes", "ask" (unknown keys are reported) or "accept-new"
// (also for "no" and "off": a changed key is refused all the same).
func (d *Dialer) strictMode(ep transport.Endpoint) string {
	if d.opts.AcceptNew {
		return "accept-new"
	}
	m := ep.StrictHostKeyChecking
	if m == "" {
		m = d.opts.StrictHostKeyChecking
	}
	switch strings.ToLower(m) {
	case "accept-new", "no", "off":
		return "accept-new"
	case "yes":
		return "yes"
	}
	return "ask"
}

// callback is the ssh.HostKeyCallback for the handshake.
func (hc *hostKeyCheck) callback(_ string, _ net.Addr, key ssh.PublicKey) error {
	err := hc.verify(key)
	hc.mu.Lock()
	defer hc.mu.Unlock()
	var hkErr *transport.HostKeyError
	if errors.As(err, &hkErr) {
		hc.err = hkErr
	}
	if err == nil {
		hc.key = key
	}
	return err
}

// accepted is the host key the handshake accepted.
func (hc *hostKeyCheck) accepted() ssh.PublicKey {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	return hc.key
}

func (hc *hostKeyCheck) verify(key ssh.PublicKey) error {
	v := hc.judge(hc.entries, key)
	if v.status == khUnknown && hc.mode == "accept-new" && len(hc.user) > 0 {
		return hc.d.acceptNew(hc, key)
	}
	return hc.verdictError(v, key)
}

// judge is checkKey with ssh's second look at a host on another port: a
// key recorded for the bare name is accepted too.
func (hc *hostKeyCheck) judge(entries []khEntry, key ssh.PublicKey) khVerdict {
	now := time.Now()
	v := checkKey(entries, hc.host, hc.principal, key, now)
	if v.status == khUnknown && hc.bare != "" {
		if b := checkKey(entries, hc.bare, hc.principal, key, now); b.status == khOK {
			return b
		}
	}
	return v
}

// verdictError turns a verdict into nil or a *transport.HostKeyError.
func (hc *hostKeyCheck) verdictError(v khVerdict, key ssh.PublicKey) error {
	if v.status == khOK {
		return nil
	}
	e := &transport.HostKeyError{
		Problem:     transport.HostKeyUnknown,
		Host:        hc.host,
		KeyType:     key.Type(),
		Fingerprint: ssh.FingerprintSHA256(key),
		Detail:      v.detail,
	}
	switch v.status {
	case khChanged:
		e.Problem = transport.HostKeyChanged
	case khRevoked:
		e.Problem = transport.HostKeyRevoked
	}
	if v.entry != nil && v.status != khUnknown {
		e.File, e.Line = v.entry.file, v.entry.line
	}
	return e
}

// algorithms lists the host key algorithms to offer, ordered as ssh's
// order_hostkeyalgs does: OpenSSH's preference as it is when a key of its
// first algorithm is known; otherwise the algorithms of known keys first,
// and certificate algorithms first when a CA line names the host.
func (hc *hostKeyCheck) algorithms() []string {
	all := hostKeyPreference()
	es := forHost(hc.entries, hc.host)
	known := map[string]bool{}
	ca := false
	for _, e := range es {
		switch e.marker {
		case "":
			known[e.key.Type()] = true
		case markerCA:
			ca = true
		}
	}
	if known[plainKeyType(all[0])] {
		return all
	}
	var first, rest []string
	for _, a := range all {
		if known[plainKeyType(a)] || (ca && isCertAlgo(a)) {
			first = append(first, a)
		} else {
			rest = append(rest, a)
		}
	}
	return append(first, rest...)
}

// hostKeyPreference is OpenSSH's HostKeyAlgorithms default, restricted to
// what x/crypto supports, followed by anything else it supports.
func hostKeyPreference() []string {
	openssh := []string{
		ssh.CertAlgoED25519v01, ssh.CertAlgoECDSA256v01, ssh.CertAlgoECDSA384v01, ssh.CertAlgoECDSA521v01,
		ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01,
		ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
	}
	supported := ssh.SupportedAlgorithms().HostKeys
	out := slices.DeleteFunc(openssh, func(a string) bool { return !slices.Contains(supported, a) })
	for _, a := range supported {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// plainKeyType is the key type behind a host key algorithm.
func plainKeyType(algo string) string {
	algo = strings.TrimSuffix(algo, "-cert-v01@openssh.com")
	switch algo {
	case ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512:
		return ssh.KeyAlgoRSA
	}
	return algo
}

func isCertAlgo(algo string) bool { return strings.HasSuffix(algo, "-cert-v01@openssh.com") }

// problem returns the host key problem found during the handshake, if any.
func (hc *hostKeyCheck) problem() error {
	hc.mu.Lock()
	defer hc.mu.Unlock()
	return hc.err
}
