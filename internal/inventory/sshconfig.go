package inventory

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// SSHConfig is a parsed OpenSSH client configuration (~/.ssh/config). Only
// the settings drover honours are read from it: HostName, User, Port,
// IdentityFile, ProxyJump and UserKnownHostsFile. A nil *SSHConfig has no
// settings. It is safe for concurrent use once loaded.
type SSHConfig struct {
	file string
	cfg  *ssh_config.Config
}

// LoadSSHConfig reads and parses the ssh_config file at path. A missing
// file is an empty configuration, not an error.
func LoadSSHConfig(path string) (*SSHConfig, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &SSHConfig{file: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ssh_config: %w", err)
	}
	return ParseSSHConfig(path, data)
}

// ParseSSHConfig parses ssh_config text; file names it in origins and errors.
func ParseSSHConfig(file string, data []byte) (*SSHConfig, error) {
	cfg, err := ssh_config.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parse ssh_config %s: %w", file, err)
	}
	return &SSHConfig{file: file, cfg: cfg}, nil
}

// File is the path the configuration was read from.
func (c *SSHConfig) File() string {
	if c == nil {
		return ""
	}
	return c.file
}

// value returns the first value of key for alias, as ssh does (the first
// obtained value wins), and its origin "ssh_config FILE:LINE". It returns
// "" when the key is not set for alias.
func (c *SSHConfig) value(alias, key string) (val, origin string) {
	if c == nil || c.cfg == nil {
		return "", ""
	}
	for _, h := range c.cfg.Hosts {
		if !h.Matches(alias) {
			continue
		}
		for _, node := range h.Nodes {
			if val, origin := c.nodeValue(node, alias, key); val != "" {
				return val, origin
			}
		}
	}
	return "", ""
}

// nodeValue reads key from one line of the file. Values from included files
// carry the including file as their origin, without a line.
func (c *SSHConfig) nodeValue(node ssh_config.Node, alias, key string) (val, origin string) {
	switch n := node.(type) {
	case *ssh_config.KV:
		if strings.EqualFold(n.Key, key) && n.Value != "" {
			return n.Value, fmt.Sprintf("ssh_config %s:%d", c.file, n.Pos().Line)
		}
	case *ssh_config.Include:
		if v := n.Get(alias, key); v != "" {
			return v, "ssh_config " + c.file
		}
	}
	return "", ""
}

// values returns every value of key for alias, in file order (for
// IdentityFile, which may be given many times), and the origin of the first.
func (c *SSHConfig) values(alias, key string) (vals []string, origin string) {
	if c == nil || c.cfg == nil {
		return nil, ""
	}
	for _, h := range c.cfg.Hosts {
		if !h.Matches(alias) {
			continue
		}
		for _, node := range h.Nodes {
			if v, o := c.nodeValue(node, alias, key); v != "" {
				vals = append(vals, v)
				origin = cmp.Or(origin, o)
			}
		}
	}
	return vals, origin
}

// expandTokens replaces the ssh_config tokens drover knows (%h, %r, %u, %d,
// %p, %n, %%) in s; others are left as written.
func expandTokens(s string, tokens map[byte]string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		if s[i] == '%' {
			b.WriteByte('%')
		} else if v, ok := tokens[s[i]]; ok {
			b.WriteString(v)
		} else {
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
