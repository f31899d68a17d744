package sshx

import (
	"context"

	"golang.org/x/crypto/ssh"
)

// keySet is what one host may be offered: its configured identities and
// certificates, and the agent's keys.
type keySet struct {
	certs          []*ssh.Certificate // CertificateFile entries
	ids            []*identity        // IdentityFile entries, in order
	agent          []ssh.Signer       // the agent's keys and certificates
	identitiesOnly bool

	ctx context.Context
	ask func(context.Context, string) (string, error) // the passphrase; nil: none
}

// order lists the keys in the order they are offered, each key once:
//
//  1. CertificateFile certificates, signed by the agent or the identity
//     holding their key (as OpenSSH puts them first);
//  2. every IdentityFile in the order given: its key (through the agent
//     when the agent holds it, so an encrypted file is never opened), then
//     its FILE-cert.pub certificate;
//  3. the agent's other keys and certificates, unless IdentitiesOnly;
//  4. last, encrypted identities that nobody can be asked to open (no
//     passphrase function): a host that wants one fails naming it, after
//     the agent's keys had their turn, as ssh without a terminal does.
//
// Putting the configured keys before the agent's others keeps a server's
// MaxAuthTries from running out on keys that were never meant for it.
func (k keySet) order() []ssh.Signer {
	var out []ssh.Signer
	seen := map[string]bool{}
	add := func(s ssh.Signer) {
		if s == nil {
			return
		}
		b := string(s.PublicKey().Marshal())
		if !seen[b] {
			seen[b] = true
			out = append(out, s)
		}
	}
	for _, cert := range k.certs {
		add(k.certSigner(cert))
	}
	var locked []*identity
	for _, id := range k.ids {
		if k.ask == nil && id.encrypted() && (id.pub == nil || k.agentSigner(id.pub) == nil) {
			locked = append(locked, id)
			continue
		}
		k.addIdentity(id, add)
	}
	if !k.identitiesOnly {
		for _, s := range k.agent {
			add(s)
		}
	}
	for _, id := range locked {
		k.addIdentity(id, add)
	}
	return out
}

// addIdentity adds id's key, then its certificate.
func (k keySet) addIdentity(id *identity, add func(ssh.Signer)) {
	base := k.identitySigner(id)
	add(base)
	if id.cert != nil && base != nil {
		add(newCertSigner(id.cert, base))
	}
}

// identitySigner signs with the agent when it holds id's key, else with
// the file itself. A key whose public half is unknown is opened now, if a
// passphrase can be asked; otherwise it is left out.
func (k keySet) identitySigner(id *identity) ssh.Signer {
	if id.pub == nil {
		s, err := id.signer(k.ctx, k.ask)
		if err != nil {
			return nil
		}
		return s
	}
	if s := k.agentSigner(id.pub); s != nil {
		return s
	}
	return lazySigner{id: id, ctx: k.ctx, ask: k.ask}
}

// certSigner pairs a certificate with a signer for its key: the agent's
// (or the agent's copy of the certificate), else an identity's.
func (k keySet) certSigner(cert *ssh.Certificate) ssh.Signer {
	if s := k.agentSigner(cert); s != nil {
		return s
	}
	if s := k.agentSigner(cert.Key); s != nil {
		return newCertSigner(cert, s)
	}
	for _, id := range k.ids {
		if id.pub != nil && equalKeys(id.pub, cert.Key) {
			return newCertSigner(cert, lazySigner{id: id, ctx: k.ctx, ask: k.ask})
		}
	}
	return nil
}

// agentSigner is the agent's signer for pub, or nil.
func (k keySet) agentSigner(pub ssh.PublicKey) ssh.Signer {
	for _, s := range k.agent {
		if equalKeys(s.PublicKey(), pub) {
			return s
		}
	}
	return nil
}

func newCertSigner(cert *ssh.Certificate, s ssh.Signer) ssh.Signer {
	cs, err := ssh.NewCertSigner(cert, s)
	if err != nil {
		return nil
	}
	return cs
}

func equalKeys(a, b ssh.PublicKey) bool {
	return string(a.Marshal()) == string(b.Marshal())
}
