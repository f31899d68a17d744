package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// SystemSSHConfig is OpenSSH's system-wide client configuration, read after
// the user's own.
const SystemSSHConfig = "/etc/ssh/ssh_config"

// SSHConfig is the OpenSSH client configuration drover reads, evaluated for
// each host the way ssh evaluates it (readconf.c): Host and Match blocks,
// Include, the first obtained value wins, tokens, a final pass for "Match
// final" and canonicalisation. It reads files when a host is resolved (an
// Include may depend on the host) and keeps what it parsed. A nil *SSHConfig
// has no settings. It is safe for concurrent use.
//
// It follows OpenSSH 9.2 (checked against its ssh -G) and takes the
// additions of later releases where they do not conflict: "Match
// localnetwork" and "tagged", key=value Match criteria, tokens and ${VAR}
// in Include, %j, single quotes in Match. What ssh does and drover does
// not: no DNS canonicalisation (CanonicalizeHostname only triggers the
// final pass, as it does when canonicalisation finds nothing); "Match
// version" is an error; "Match command" sees no command and "Match
// sessiontype" sees "exec", since one connection carries many commands;
// tokens in User (OpenSSH 10) are not expanded; Debian's BatchMode default
// of ServerAliveInterval 300 is not applied (drover's keepalive stays).
type SSHConfig struct {
	files []configSource

	mu     sync.Mutex
	parsed map[string]parsedFile
	globs  map[string]globResult // Include patterns, expanded once per command
}

// globResult is what filepath.Glob returned for one pattern.
type globResult struct {
	matches []string
	err     error
}

// configSource is one top-level file: the user's (relative Include paths
// are under ~/.ssh, its permissions are checked) or the system's.
type configSource struct {
	path     string
	user     bool
	required bool // -F: a file that cannot be read is an error
}

type parsedFile struct {
	lines []configLine
	found bool
	err   error
}

// LoadSSHConfig reads the user's configuration (a missing file is empty),
// then the system one, as ssh does without -F. systemFile "" skips it.
func LoadSSHConfig(userFile, systemFile string) (*SSHConfig, error) {
	c := &SSHConfig{files: []configSource{{path: userFile, user: true}}}
	if systemFile != "" {
		c.files = append(c.files, configSource{path: systemFile})
	}
	return c, c.check()
}

// LoadSSHConfigFile reads only file, as `ssh -F FILE` does: no system file,
// and a file that cannot be read is an error.
func LoadSSHConfigFile(file string) (*SSHConfig, error) {
	c := &SSHConfig{files: []configSource{{path: file, user: true, required: true}}}
	return c, c.check()
}

// ParseSSHConfig is a configuration of the single user file named file with
// the given text (for tests and examples).
func ParseSSHConfig(file string, data []byte) (*SSHConfig, error) {
	c := &SSHConfig{files: []configSource{{path: file, user: true}}}
	c.parsed = map[string]parsedFile{file: {lines: parseFile(file, data), found: true}}
	return c, nil
}

// Files are the top-level files, in the order they are read.
func (c *SSHConfig) Files() []string {
	if c == nil {
		return nil
	}
	out := make([]string, len(c.files))
	for i, f := range c.files {
		out[i] = f.path
	}
	return out
}

// check reads the top-level files once, so an unreadable -F file or bad
// permissions stop the command before any host is resolved.
func (c *SSHConfig) check() error {
	for _, f := range c.files {
		p := c.read(f.path, f.user && !f.required)
		if p.err != nil {
			return p.err
		}
		if f.required && !p.found {
			return fmt.Errorf("read ssh_config %s: %w", f.path, fs.ErrNotExist)
		}
	}
	return nil
}

// glob returns the files an Include pattern names, looking the first time
// only: a thousand hosts read the same directory once, as their files are
// read once.
func (c *SSHConfig) glob(pattern string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g, ok := c.globs[pattern]; ok {
		return g.matches, g.err
	}
	matches, err := filepath.Glob(pattern)
	if c.globs == nil {
		c.globs = map[string]globResult{}
	}
	c.globs[pattern] = globResult{matches, err}
	return matches, err
}

// read returns the parsed lines of path, reading it the first time. A file
// that does not exist is not found, without an error. With checkPerm the
// file must belong to this process's user or root and not be writable by
// others, as ssh demands of the user's files.
func (c *SSHConfig) read(path string, checkPerm bool) parsedFile {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.parsed[path]; ok {
		return p
	}
	p := readConfigFile(path, checkPerm)
	if c.parsed == nil {
		c.parsed = map[string]parsedFile{}
	}
	c.parsed[path] = p
	return p
}

func readConfigFile(path string, checkPerm bool) parsedFile {
	data, err := os.ReadFile(path)
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return parsedFile{}
	case errors.As(err, &pe) && errors.Is(pe.Err, syscall.EISDIR):
		return parsedFile{found: true}
	case err != nil:
		return parsedFile{err: fmt.Errorf("read ssh_config: %w", err)}
	}
	if checkPerm {
		if err := checkConfigPerm(path); err != nil {
			return parsedFile{err: err}
		}
	}
	return parsedFile{lines: parseFile(path, data), found: true}
}

// parseFile is parseConfigText with each line's origin, made once here
// rather than for every host the line is evaluated for.
func parseFile(path string, data []byte) []configLine {
	lines := parseConfigText(data)
	for i := range lines {
		lines[i].origin = fmt.Sprintf("ssh_config %s:%d", path, lines[i].num)
	}
	return lines
}

// checkConfigPerm refuses a file another user may change, as ssh does.
func checkConfigPerm(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("read ssh_config: %w", err)
	}
	bad := fi.Mode().Perm()&0o022 != 0
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Getuid() {
		bad = true
	}
	if bad {
		return fmt.Errorf("ssh_config %s: bad owner or permissions (ssh refuses it too)", path)
	}
	return nil
}
