package inventory

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os/user"
	"strings"
)

// tokens maps ssh_config token letters (%h, %p, ...) to their values. Each
// key accepts its own set, as ssh_config(5) TOKENS says:
//
//	HostName                                     %% %h
//	ProxyCommand                                 %% %h %k %n %p %r
//	Match exec, Include                          %% %C %L %d %h %i %j %k %l %n %p %r %u
//	IdentityFile, CertificateFile, IdentityAgent,
//	UserKnownHostsFile                           %% %C %L %d %h %i %j %k %l %n %p %r %u
//
// %j (the last ProxyJump hop) is OpenSSH 9.6's; User is not expanded (only
// OpenSSH 10 does that).
type tokens map[byte]string

// expand is misc.c's percent_expand, and with getenv set its
// percent_dollar_expand (${VAR} from the environment). An unknown token, a
// lone '%' at the end or an unset variable is an error, as for ssh.
func (t tokens) expand(s string, getenv func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if getenv != nil && strings.HasPrefix(s[i:], "${") {
			end := strings.IndexByte(s[i+2:], '}')
			if end <= 0 {
				return "", fmt.Errorf("bad environment variable in %q", s)
			}
			name := s[i+2 : i+2+end]
			v, ok := getenv(name)
			if !ok {
				return "", fmt.Errorf("environment variable %s in %q has no value", name, s)
			}
			b.WriteString(v)
			i += 2 + end
			continue
		}
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", fmt.Errorf("lone %% at the end of %q", s)
		}
		if s[i] == '%' {
			b.WriteByte('%')
			continue
		}
		v, ok := t[s[i]]
		if !ok {
			return "", fmt.Errorf("unknown token %%%c in %q", s[i], s)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// connectionHash is readconf.c's ssh_connection_hash (%C): the SHA-1 of the
// local host name, host, port, user and jump host.
func connectionHash(thisHost, host, port, user, jump string) string {
	sum := sha1.Sum([]byte(thisHost + host + port + user + jump))
	return hex.EncodeToString(sum[:])
}

// tildeExpand is misc.c's tilde_expand: "~" and "~/..." are home,
// "~user/..." that user's home directory.
func tildeExpand(p, home string) (string, error) {
	if !strings.HasPrefix(p, "~") {
		return p, nil
	}
	name, rest, _ := strings.Cut(p[1:], "/")
	dir := home
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			return "", fmt.Errorf("expand %s: %w", p, err)
		}
		dir = u.HomeDir
	}
	if dir == "" {
		return p, nil
	}
	rest = strings.TrimLeft(rest, "/")
	if rest == "" {
		return strings.TrimRight(dir, "/") + "/", nil
	}
	return strings.TrimRight(dir, "/") + "/" + rest, nil
}

// localTokens are the tokens of the control machine: %d %i %L %l %u.
func (l Local) tokens() tokens {
	short, _, _ := strings.Cut(l.Hostname, ".")
	return tokens{'d': l.Home, 'i': l.UID, 'L': short, 'l': l.Hostname, 'u': l.User}
}

// lookupEnv is Local.LookupEnv; a nil one has no variables.
func (l Local) lookupEnv(name string) (string, bool) {
	if l.LookupEnv == nil {
		return "", false
	}
	return l.LookupEnv(name)
}
