package inventory

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
)

// matchLine is readconf.c's match_cfg_line: the criteria are ANDed, each
// may be negated with '!', "all" stands alone, "canonical" and "final" are
// true in the final pass (and "final" asks for one), "exec" runs only while
// the criteria before it hold. A criterion may be written key=value.
func (e *sshEval) matchLine(args []string) (bool, error) {
	result, attributes := true, 0
	for i := 0; i < len(args) && !strings.HasPrefix(args[i], "#"); i++ {
		attr := args[i]
		negate := strings.HasPrefix(attr, "!")
		name, arg, hasArg := strings.Cut(strings.TrimPrefix(attr, "!"), "=")
		name = strings.ToLower(name)
		if name == "all" {
			if attributes > 1 || (i+1 < len(args) && !strings.HasPrefix(args[i+1], "#")) {
				return false, fmt.Errorf("%q cannot be combined with other Match attributes", attr)
			}
			return result && !negate, nil
		}
		attributes++
		if name == "canonical" || name == "final" {
			e.wantFinal = e.wantFinal || (name == "final" && !negate)
			result = result && e.final != negate
			continue
		}
		if !hasArg && i+1 < len(args) {
			i++
			arg, hasArg = args[i], true
		}
		if !hasArg || arg == "" || strings.HasPrefix(arg, "#") {
			return false, fmt.Errorf("missing Match criteria for %s", name)
		}
		if name == "exec" && !result {
			continue // skip execution once a criterion before it failed
		}
		ok, err := e.criterion(name, arg)
		if err != nil {
			return false, err
		}
		result = result && ok != negate
	}
	if attributes == 0 {
		return false, errors.New("one or more attributes required for Match")
	}
	return result, nil
}

// criterion tests one Match criterion that takes an argument.
func (e *sshEval) criterion(name, arg string) (bool, error) {
	switch name {
	case "host":
		host, err := e.matchHost()
		return err == nil && matchHostname(host, arg), err
	case "originalhost":
		return matchHostname(e.hostArg, arg), nil
	case "user":
		return matchPatternList(e.user(), arg, false) == 1, nil
	case "localuser":
		return matchPatternList(e.local.User, arg, false) == 1, nil
	case "localnetwork":
		return matchLocalNetwork(arg)
	case "tagged":
		return matchPatternList(e.o.scalar["tag"].val, arg, false) == 1, nil
	case "sessiontype":
		return matchPatternList("exec", arg, false) == 1, nil
	case "command":
		return false, nil
	case "exec":
		return e.matchExec(arg)
	}
	return false, fmt.Errorf("unsupported Match attribute %s", name)
}

// matchTokens are the tokens of Match exec and Include.
func (e *sshEval) matchTokens() tokens {
	host, _ := e.matchHost()
	t := e.local.tokens()
	t['h'], t['n'], t['p'], t['r'], t['j'] = host, e.hostArg, e.port(), e.user(), e.jumpHost()
	t['k'] = cmpOr(e.o.scalar["hostkeyalias"].val, host)
	t['C'] = connectionHash(e.local.Hostname, host, t['p'], t['r'], t['j'])
	return t
}

// matchExec runs the command in the user's shell with stdin and stdout on
// /dev/null; exit status 0 matches. A command killed by a signal is an
// error, as for ssh.
func (e *sshEval) matchExec(arg string) (bool, error) {
	cmd, err := e.matchTokens().expand(arg, nil)
	if err != nil {
		return false, fmt.Errorf("match exec: %w", err)
	}
	shell, _ := e.local.lookupEnv("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	c := exec.Command(shell, "-c", cmd)
	if devnull, err := os.Open(os.DevNull); err == nil {
		defer devnull.Close()
		c.Stdin = devnull
	}
	err = c.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exit) && exit.Exited():
		return false, nil
	}
	return false, fmt.Errorf("match exec %q: %w", cmd, err)
}

// matchLocalNetwork says whether an address of an interface that is up is
// in one of the comma-separated CIDR networks.
func matchLocalNetwork(list string) (bool, error) {
	var nets []*net.IPNet
	for _, s := range strings.Split(list, ",") {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			if ip := net.ParseIP(s); ip != nil {
				n = &net.IPNet{IP: ip, Mask: net.CIDRMask(len(ip)*8, len(ip)*8)}
			} else {
				return false, fmt.Errorf("match localnetwork: bad network %q", s)
			}
		}
		nets = append(nets, n)
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return false, nil
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && containsIP(nets, ipn.IP) {
				return true, nil
			}
		}
	}
	return false, nil
}

func containsIP(nets []*net.IPNet, ip net.IP) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
