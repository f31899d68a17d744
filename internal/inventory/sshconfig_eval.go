package inventory

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// maxIncludeDepth is readconf.c's READCONF_MAX_DEPTH.
const maxIncludeDepth = 16

// sshQuery asks for the settings of one host, as `ssh -G` is asked. The
// presets are what ssh would get on its command line: drover's flags and
// inventory act like -l, -p, -o HostName= and -J, so Match sees them and
// the file's own lines for them do not apply.
type sshQuery struct {
	host     string // the host argument, as given
	user     choice // like ssh -l
	port     choice // like ssh -p
	hostname choice // like ssh -o HostName=
	jump     choice // like ssh -J
}

// sshEval is one evaluation of the configuration for one host: readconf.c's
// read_config_file and process_config_line, with its Options.
type sshEval struct {
	cfg       *SSHConfig
	local     Local
	hostArg   string // the host as given: Match originalhost, %n
	host      string // what Host patterns match: the argument, then in the final pass the host name
	final     bool
	wantFinal bool
	o         sshOptions
}

// fileCtx is how a file is being read: as a user file (Include paths under
// ~/.ssh, permissions checked) and whether its blocks may apply at all (an
// Include inside a block that does not apply is read, never applied).
type fileCtx struct {
	path  string
	user  bool
	never bool
	depth int
}

// lookup evaluates the configuration for q: a first pass, then a final one
// when a "Match final" (or CanonicalizeHostname) asks for it, each over
// every file in order.
func (c *SSHConfig) lookup(q sshQuery, local Local) (*sshEval, error) {
	e := &sshEval{cfg: c, local: local, hostArg: q.host, host: q.host, o: newSSHOptions()}
	for key, preset := range map[string]choice{"user": q.user, "port": q.port, "hostname": q.hostname} {
		if preset.val != "" {
			e.o.scalar[key] = preset
		}
	}
	if q.jump.val != "" {
		e.o.setJump(q.jump.val, q.jump.origin, true)
	}
	if c == nil {
		return e, nil
	}
	if err := e.pass(); err != nil {
		return nil, err
	}
	if canon := e.o.scalar["canonicalizehostname"].val; e.wantFinal || (canon != "" && canon != "no") {
		host, err := e.expandedHostName()
		if err != nil {
			return nil, err
		}
		e.final, e.host = true, host
		e.o.scalar["hostname"] = choice{host, e.o.scalar["hostname"].origin}
		if err := e.pass(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// pass reads every top-level file once.
func (e *sshEval) pass() error {
	for _, f := range e.cfg.files {
		p := e.cfg.read(f.path, f.user && !f.required)
		if p.err != nil {
			return p.err
		}
		active := true
		if err := e.lines(fileCtx{path: f.path, user: f.user}, p.lines, &active); err != nil {
			return err
		}
	}
	return nil
}

// lines processes the directives of one file. Every line is checked, in a
// block that applies or not, as ssh checks them.
func (e *sshEval) lines(f fileCtx, lines []configLine, active *bool) error {
	for _, l := range lines {
		if err := e.line(f, l, active); err != nil {
			return fmt.Errorf("ssh_config %s line %d: %w", f.path, l.num, err)
		}
	}
	return nil
}

func (e *sshEval) line(f fileCtx, l configLine, active *bool) error {
	if l.err != nil {
		return l.err
	}
	switch l.keyword {
	case "host":
		return e.hostLine(f, l, active)
	case "match":
		ok, err := e.matchLine(l.args)
		if err != nil {
			return fmt.Errorf("bad Match condition: %w", err)
		}
		*active = ok && !f.never
		return nil
	case "include":
		return e.include(f, l, active)
	}
	if !sshKeywords[l.keyword] {
		if ign := e.o.scalar["ignoreunknown"].val; ign != "" && matchPatternList(l.keyword, ign, true) == 1 {
			return nil
		}
		return fmt.Errorf("bad configuration option %q", l.keyword)
	}
	return e.o.apply(l, *active, l.origin, e.local)
}

// hostLine is the Host directive: the block applies when a pattern matches
// and no negated one does.
func (e *sshEval) hostLine(f fileCtx, l configLine, active *bool) error {
	*active = false
	for _, a := range l.args {
		if a == "" {
			return fmt.Errorf("keyword host empty argument")
		}
	}
	if !f.never {
		*active = matchHostLine(e.host, l.args)
	}
	return nil
}

// include reads the files an Include names: tokens and ${VAR} expanded,
// relative paths under ~/.ssh (user files) or /etc/ssh (system files),
// globs in lexical order. An included file starts in the includer's block
// state and its Host or Match lines do not change the includer's.
func (e *sshEval) include(f fileCtx, l configLine, active *bool) error {
	if f.depth >= maxIncludeDepth {
		return fmt.Errorf("too many recursive configuration includes")
	}
	for _, arg := range l.args {
		pattern, err := e.includePattern(f, arg)
		if err != nil {
			return err
		}
		matches, err := e.cfg.glob(pattern)
		if err != nil {
			return fmt.Errorf("include %s: %w", arg, err)
		}
		outer := *active
		for _, m := range matches {
			p := e.cfg.read(m, true)
			if p.err != nil {
				return p.err
			}
			inner := fileCtx{path: m, user: f.user, never: f.never || !outer, depth: f.depth + 1}
			if err := e.lines(inner, p.lines, active); err != nil {
				return err
			}
			*active = outer
		}
	}
	return nil
}

func (e *sshEval) includePattern(f fileCtx, arg string) (string, error) {
	if arg == "" {
		return "", fmt.Errorf("keyword include empty argument")
	}
	p, err := e.matchTokens().expand(arg, e.local.lookupEnv)
	if err != nil {
		return "", fmt.Errorf("include %s: %w", arg, err)
	}
	switch {
	case strings.HasPrefix(p, "~") && !f.user:
		return "", fmt.Errorf("bad include path %s", p)
	case !filepath.IsAbs(p) && !strings.HasPrefix(p, "~") && f.user:
		p = "~/.ssh/" + p
	case !filepath.IsAbs(p) && !strings.HasPrefix(p, "~"):
		p = "/etc/ssh/" + p
	}
	return tildeExpand(p, e.local.Home)
}

// matchHost is the host Match sees: in the final pass the host name as
// resolved, in the first the HostName so far (with %h), else the argument.
func (e *sshEval) matchHost() (string, error) {
	hn := e.o.scalar["hostname"].val
	if e.final || hn == "" {
		return cmpOr(hn, e.hostArg), nil
	}
	return tokens{'h': e.hostArg}.expand(hn, nil)
}

// expandedHostName is the host to connect to: HostName with %h, lower case
// unless it is an address (ssh.c main).
func (e *sshEval) expandedHostName() (string, error) {
	if e.final {
		return e.host, nil // expanded before the final pass, as ssh does
	}
	host := e.hostArg
	if hn := e.o.scalar["hostname"]; hn.val != "" {
		var err error
		if host, err = (tokens{'h': e.hostArg}).expand(hn.val, nil); err != nil {
			return "", fmt.Errorf("HostName from %s: %w", hn.origin, err)
		}
	}
	if !isAddr(host) {
		host = strings.ToLower(host)
	}
	return host, nil
}

// user is the remote user so far (Match user, %r): set, else the local one.
func (e *sshEval) user() string {
	return cmpOr(e.o.scalar["user"].val, e.local.User)
}

// port is the port so far: set, else 22.
func (e *sshEval) port() string {
	return cmpOr(e.o.scalar["port"].val, "22")
}

// jumpHost is %j: the host of the last ProxyJump hop, "" for none.
func (e *sshEval) jumpHost() string {
	j := e.o.scalar["proxyjump"].val
	if j == "" || strings.EqualFold(j, "none") {
		return ""
	}
	hops := SplitList(j)
	t, err := parseJumpHop(hops[len(hops)-1])
	if err != nil {
		return ""
	}
	return t.Host
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}
