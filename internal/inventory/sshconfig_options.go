package inventory

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// sshOptions are the settings one evaluation has obtained so far, each
// with the line it came from. As in readconf.c the first obtained value
// wins, IdentityFile and CertificateFile accumulate (without duplicates),
// and UserKnownHostsFile and GlobalKnownHostsFile take the list of the
// first line that applies.
type sshOptions struct {
	scalar map[string]choice   // by lower-case keyword
	lists  map[string][]choice // identityfile, certificatefile, userknownhostsfile, globalknownhostsfile
}

func newSSHOptions() sshOptions {
	return sshOptions{scalar: map[string]choice{}, lists: map[string][]choice{}}
}

// multistates are the accepted words of the yes/no style keys, mapped to
// one spelling.
var multistates = map[string]map[string]string{
	"identitiesonly":        {"yes": "yes", "true": "yes", "no": "no", "false": "no"},
	"hashknownhosts":        {"yes": "yes", "true": "yes", "no": "no", "false": "no"},
	"stricthostkeychecking": {"yes": "yes", "true": "yes", "no": "no", "false": "no", "off": "no", "ask": "ask", "accept-new": "accept-new"},
	"canonicalizehostname":  {"yes": "yes", "true": "yes", "no": "no", "false": "no", "always": "always"},
}

// stringKeys take one argument, the first obtained value wins.
var stringKeys = map[string]bool{"user": true, "hostname": true, "hostkeyalias": true, "ignoreunknown": true, "tag": true}

// apply checks one line of a key drover reads (all lines, as ssh checks
// them) and, when its block applies, records the value.
func (o *sshOptions) apply(l configLine, active bool, origin string, local Local) error {
	key := l.keyword
	switch {
	case stringKeys[key] || multistates[key] != nil || key == "identityagent":
		v, err := singleValue(l, local)
		if err != nil {
			return err
		}
		o.set(key, v, origin, active)
	case key == "port" || key == "connecttimeout" || key == "serveraliveinterval" || key == "serveralivecountmax":
		v, err := numberValue(l)
		if err != nil {
			return err
		}
		o.set(key, v, origin, active)
	case key == "identityfile" || key == "certificatefile":
		if len(l.args) == 0 || l.args[0] == "" {
			return errors.New("missing argument")
		}
		if active {
			o.add(key, l.args[0], origin)
		}
	case key == "userknownhostsfile" || key == "globalknownhostsfile":
		return o.fileList(l, active, origin)
	case key == "proxycommand":
		o.set(key, strings.TrimLeft(l.rest, whitespace+"="), origin, active)
	case key == "proxyjump":
		return o.proxyJump(l, active, origin)
	}
	return nil
}

func (o *sshOptions) set(key, val, origin string, active bool) {
	if _, done := o.scalar[key]; active && !done && val != "" {
		o.scalar[key] = choice{val, origin}
	}
}

func (o *sshOptions) add(key, val, origin string) {
	for _, c := range o.lists[key] {
		if c.val == val {
			return
		}
	}
	o.lists[key] = append(o.lists[key], choice{val, origin})
}

// singleValue checks the one argument of a string or yes/no key.
func singleValue(l configLine, local Local) (string, error) {
	if len(l.args) == 0 || l.args[0] == "" {
		return "", errors.New("missing argument")
	}
	if len(l.args) > 1 {
		return "", fmt.Errorf("keyword %s extra arguments at end of line", l.keyword)
	}
	v := l.args[0]
	if states := multistates[l.keyword]; states != nil {
		s, ok := states[strings.ToLower(v)]
		if !ok {
			return "", fmt.Errorf("unsupported option %q", v)
		}
		return s, nil
	}
	if l.keyword == "identityagent" {
		if _, err := (tokens{}).expand(strings.ReplaceAll(v, "%", "%%"), local.lookupEnv); err != nil {
			return "", fmt.Errorf("invalid environment expansion %s: %w", v, err)
		}
	}
	return v, nil
}

// numberValue checks a port (a number or a service name), a time (none,
// 90, 1m30s) or an integer, and returns it as a decimal number ("" for a
// time of none, which leaves the key unset as in ssh).
func numberValue(l configLine) (string, error) {
	if len(l.args) == 0 || l.args[0] == "" {
		return "", errors.New("missing argument")
	}
	if len(l.args) > 1 {
		return "", fmt.Errorf("keyword %s extra arguments at end of line", l.keyword)
	}
	v := l.args[0]
	switch l.keyword {
	case "port":
		p, err := net.LookupPort("tcp", v)
		if err != nil || p <= 0 {
			return "", fmt.Errorf("bad port %q", v)
		}
		return strconv.Itoa(p), nil
	case "serveralivecountmax":
		n, err := strconv.Atoi(v)
		if err != nil {
			return "", fmt.Errorf("integer value %q is invalid", v)
		}
		return strconv.Itoa(n), nil
	}
	if v == "none" {
		return "", nil
	}
	secs, err := convtime(v)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(secs), nil
}

// convtime is misc.c's convtime: seconds, or a sequence of numbers each
// with an optional unit s, m, h, d or w (upper or lower case).
func convtime(s string) (int, error) {
	bad := fmt.Errorf("invalid time value %q", s)
	if s == "" {
		return 0, bad
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, bad
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, bad
		}
		unit := time.Second
		if i < len(s) {
			u, ok := units[s[i]|0x20]
			if !ok {
				return 0, bad
			}
			unit, i = u, i+1
		}
		total += time.Duration(n) * unit
		s = s[i:]
	}
	if total > time.Duration(1<<31-1)*time.Second {
		return 0, bad
	}
	return int(total / time.Second), nil
}

// fileList records a known_hosts list: every argument of the first line
// that applies; "none" only alone.
func (o *sshOptions) fileList(l configLine, active bool, origin string) error {
	for i, a := range l.args {
		if a == "" {
			return fmt.Errorf("keyword %s empty argument", l.keyword)
		}
		if strings.EqualFold(a, "none") && (i > 0 || len(l.args) > 1) {
			return fmt.Errorf("keyword %s \"none\" argument must appear alone", l.keyword)
		}
	}
	if !active || len(o.lists[l.keyword]) > 0 {
		return nil
	}
	for _, a := range l.args {
		o.lists[l.keyword] = append(o.lists[l.keyword], choice{a, origin})
	}
	return nil
}

// proxyJump checks a ProxyJump list ([user@]host[:port] or ssh:// URIs,
// comma separated, or "none") and records it.
func (o *sshOptions) proxyJump(l configLine, active bool, origin string) error {
	spec := strings.TrimLeft(l.rest, whitespace+"=")
	if i := strings.IndexByte(spec, '#'); i >= 0 {
		spec = spec[:i]
	}
	spec = strings.TrimRight(spec, whitespace)
	if !strings.EqualFold(spec, "none") {
		for _, hop := range strings.Split(spec, ",") {
			if _, err := parseJumpHop(hop); err != nil {
				return fmt.Errorf("invalid ProxyJump %q", spec)
			}
		}
	}
	o.setJump(spec, origin, active)
	return nil
}

// setJump records a ProxyJump as readconf.c's parse_jump does: only while
// neither ProxyJump nor ProxyCommand is set; a jump host also sets
// ProxyCommand to none, "none" leaves ProxyCommand open.
func (o *sshOptions) setJump(spec, origin string, active bool) {
	_, jump := o.scalar["proxyjump"]
	_, cmd := o.scalar["proxycommand"]
	if !active || jump || cmd {
		return
	}
	o.scalar["proxyjump"] = choice{spec, origin}
	if !strings.EqualFold(spec, "none") {
		o.scalar["proxycommand"] = choice{"none", origin}
	}
}
