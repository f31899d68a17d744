package sshx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/drover-sh/drover/internal/transport"
)

// TestHostKeyCheckKeepsOwnEntries: a host's check, which its connection
// keeps for key re-exchanges, holds the entries that name the host (by
// name, pattern or hash, with or without its port), not the whole file:
// with every host's check holding every line, 1,000 connections held
// 1,000,000 entries (92 MB). It still judges as before.
func TestHostKeyCheckKeepsOwnEntries(t *testing.T) {
	const hosts = 500
	key, other, ca := newKey(t), newKey(t), newKey(t)
	var b strings.Builder
	for i := range hosts {
		fmt.Fprintf(&b, "10.0.%d.%d %s", i/250, 1+i%250, ssh.MarshalAuthorizedKey(other))
	}
	fmt.Fprintf(&b, "[web.farm]:2222 %s", ssh.MarshalAuthorizedKey(key))
	fmt.Fprintf(&b, "*.farm %s", ssh.MarshalAuthorizedKey(other))
	fmt.Fprintf(&b, "@cert-authority *.farm %s", ssh.MarshalAuthorizedKey(ca))
	fmt.Fprintf(&b, "%s %s", knownhosts.HashHostname("[web.farm]:2222"), ssh.MarshalAuthorizedKey(key))
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	d := New(Options{})
	ep := transport.Endpoint{Host: "web.farm", Port: 2222, KnownHosts: []string{known}, GlobalKnownHosts: []string{"none"}}
	hc, err := d.newHostKeyCheck(ep)
	if err != nil {
		t.Fatal(err)
	}
	if len(hc.entries) != 4 {
		t.Errorf("check holds %d entries, want the host's 4 of %d", len(hc.entries), hosts+4)
	}
	if v := hc.judge(hc.entries, key); v.status != khOK {
		t.Errorf("judge(key) = %v, want ok", v.status)
	}
	ep.Host = "10.0.1.7"
	ep.Port = 0
	hc, err = d.newHostKeyCheck(ep)
	if err != nil {
		t.Fatal(err)
	}
	if len(hc.entries) != 1 {
		t.Errorf("check of 10.0.1.7 holds %d entries, want 1", len(hc.entries))
	}
	if v := hc.judge(hc.entries, other); v.status != khOK {
		t.Errorf("judge(other) for 10.0.1.7 = %v, want ok", v.status)
	}
}

// TestKnownHostsIndex: the entries the index finds for a name are those
// that matching every line finds, for literal, wildcard, negated, hashed
// and bracketed entries, in any case.
func TestKnownHostsIndex(t *testing.T) {
	key := newKey(t)
	k := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	lines := []string{
		"web1.farm " + k,
		"WEB2.farm,10.0.0.2 " + k,
		"*.farm,!web3.farm " + k,
		"[web4.farm]:2222 " + k,
		"web?.farm " + k,
		knownhosts.HashHostname("web5.farm") + " " + k,
		"@cert-authority *.farm " + k,
		"@revoked web1.farm " + k,
		"10.0.0.* " + k,
		"web1.farm,web1.farm " + k,
	}
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var c knownHostsCache
	all, err := c.entries([]string{known})
	if err != nil {
		t.Fatal(err)
	}
	for _, names := range [][]string{{"web1.farm"}, {"web2.farm"}, {"10.0.0.2"}, {"web3.farm"}, {"[web4.farm]:2222", "web4.farm"},
		{"web5.farm"}, {"db.example"}, {"web10.farm"}, {"10.0.0.9"}} {
		got, err := c.entriesFor([]string{known}, names...)
		if err != nil {
			t.Fatal(err)
		}
		var want []int
		for _, e := range all {
			for _, n := range names {
				if e.matches(n) {
					want = append(want, e.line)
					break
				}
			}
		}
		var gotLines []int
		for _, e := range got {
			gotLines = append(gotLines, e.line)
		}
		if fmt.Sprint(gotLines) != fmt.Sprint(want) {
			t.Errorf("entries for %v: lines %v, want %v", names, gotLines, want)
		}
	}
}
