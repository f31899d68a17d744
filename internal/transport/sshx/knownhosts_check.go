package sshx

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// khStatus is the verdict of known_hosts on a host key.
type khStatus int

const (
	khUnknown khStatus = iota // no entry for the host has this key
	khOK                      // a key entry, or a valid certificate of a trusted CA
	khChanged                 // the host has other keys (or a CA) and this key is not one of them
	khRevoked                 // an @revoked entry names the key or its CA
)

// khVerdict is a verdict with the line that decided it.
type khVerdict struct {
	status khStatus
	entry  *khEntry // the matching line; for khChanged the conflicting one
	detail string   // why a host certificate was not accepted
}

// checkKey judges key for host the way OpenSSH's check_host_key does:
// a certificate is accepted when an @cert-authority line for the host
// holds its CA and it is a valid host certificate for principal;
// otherwise its plain key is judged. A key listed for the host is known;
// another key listed for the host, or a CA line for the host that did not
// vouch for the key, makes it changed; an @revoked line refuses it.
func checkKey(entries []khEntry, host, principal string, key ssh.PublicKey, now time.Time) khVerdict {
	es := forHost(entries, host)
	var caLine *khEntry
	detail := ""
	if cert, ok := key.(*ssh.Certificate); ok {
		if e := revokedEntry(es, cert); e != nil {
			return khVerdict{status: khRevoked, entry: e}
		}
		if ca := findEntry(es, markerCA, cert.SignatureKey); ca != nil {
			err := checkHostCert(cert, principal, now)
			if err == nil {
				return khVerdict{status: khOK, entry: ca}
			}
			caLine, detail = ca, err.Error()
		} else {
			detail = "host certificate not signed by a trusted authority"
		}
		key = cert.Key
	}
	if e := revokedEntry(es, key); e != nil {
		return khVerdict{status: khRevoked, entry: e}
	}
	v := plainCheck(es, key)
	if v.status != khUnknown {
		return v
	}
	if caLine == nil {
		caLine = findEntry(es, markerCA, nil)
	}
	if caLine != nil {
		if detail == "" {
			detail = "no host certificate from the authority"
		}
		return khVerdict{status: khChanged, entry: caLine, detail: detail}
	}
	return v
}

// forHost keeps the entries that name host.
func forHost(entries []khEntry, host string) []khEntry {
	var out []khEntry
	for _, e := range entries {
		if e.matches(host) {
			out = append(out, e)
		}
	}
	return out
}

// plainCheck is OpenSSH's check for a plain key: a matching key entry is
// known; any other key entry for the host (whatever its type) makes the
// key changed.
func plainCheck(es []khEntry, key ssh.PublicKey) khVerdict {
	v := khVerdict{status: khUnknown}
	for i := range es {
		if es[i].marker != "" {
			continue
		}
		if equalKeys(es[i].key, key) {
			return khVerdict{status: khOK, entry: &es[i]}
		}
		if v.status == khUnknown {
			v = khVerdict{status: khChanged, entry: &es[i]}
		}
	}
	return v
}

// findEntry is the first entry with marker and key (any key when nil).
func findEntry(es []khEntry, marker string, key ssh.PublicKey) *khEntry {
	for i := range es {
		if es[i].marker == marker && (key == nil || equalKeys(es[i].key, key)) {
			return &es[i]
		}
	}
	return nil
}

// revokedEntry is the @revoked line naming key, or, for a certificate,
// its key or its CA.
func revokedEntry(es []khEntry, key ssh.PublicKey) *khEntry {
	keys := []ssh.PublicKey{key}
	if cert, ok := key.(*ssh.Certificate); ok {
		keys = []ssh.PublicKey{cert.Key, cert.SignatureKey}
	}
	for _, k := range keys {
		if e := findEntry(es, markerRevoked, k); e != nil {
			return e
		}
	}
	return nil
}

// checkHostCert is OpenSSH's sshkey_cert_check_host: a host certificate,
// valid now, listing principal (principals may be patterns), without
// critical options, and signed by its CA.
func checkHostCert(cert *ssh.Certificate, principal string, now time.Time) error {
	if cert.CertType != ssh.HostCert {
		return errors.New("certificate invalid: not a host certificate")
	}
	unix := uint64(now.Unix())
	if unix < cert.ValidAfter {
		return errors.New("certificate invalid: not yet valid")
	}
	if cert.ValidBefore != ssh.CertTimeInfinity && unix >= cert.ValidBefore {
		return errors.New("certificate invalid: expired")
	}
	if len(cert.ValidPrincipals) == 0 {
		return errors.New("certificate lacks principal list")
	}
	matched := ""
	for _, p := range cert.ValidPrincipals {
		if matchPattern(principal, p) {
			matched = p
			break
		}
	}
	if matched == "" {
		return fmt.Errorf("certificate invalid: %s is not a listed principal (%s)", principal, strings.Join(cert.ValidPrincipals, ","))
	}
	checker := ssh.CertChecker{Clock: func() time.Time { return now }}
	if err := checker.CheckCert(matched, cert); err != nil {
		return fmt.Errorf("certificate invalid: %w", err)
	}
	return nil
}
