package sshx

import (
	"slices"

	"golang.org/x/crypto/ssh"
)

// opensshKex is OpenSSH's KexAlgorithms default (10.x), in its order. The
// sntrup761 hybrids and diffie-hellman-group18 are not in x/crypto and
// drop out; the post-quantum mlkem768x25519-sha256 stays first wherever
// x/crypto offers it.
var opensshKex = []string{
	ssh.KeyExchangeMLKEM768X25519,
	"sntrup761x25519-sha512",
	"sntrup761x25519-sha512@openssh.com",
	ssh.KeyExchangeCurve25519,
	"curve25519-sha256@libssh.org",
	ssh.KeyExchangeECDHP256,
	ssh.KeyExchangeECDHP384,
	ssh.KeyExchangeECDHP521,
	ssh.KeyExchangeDHGEXSHA256,
	ssh.KeyExchangeDH16SHA512,
	"diffie-hellman-group18-sha512",
	ssh.KeyExchangeDH14SHA256,
}

// keyExchanges is the key exchange preference offered to every host: the
// Dialer's override, else OpenSSH's order of what x/crypto implements. The
// server's first choice in this list wins, so an older server falls back
// to curve25519 or ECDH without a second attempt.
func (d *Dialer) keyExchanges() []string {
	if d.opts.KeyExchanges != nil {
		return d.opts.KeyExchanges
	}
	supported := ssh.SupportedAlgorithms().KeyExchanges
	return slices.DeleteFunc(slices.Clone(opensshKex), func(k string) bool {
		return !slices.Contains(supported, k)
	})
}

// Negotiated is what one connection agreed on with its host.
type Negotiated struct {
	KeyExchange string // e.g. "mlkem768x25519-sha256"
	HostKey     string // the host key algorithm, e.g. "ssh-ed25519-cert-v01@openssh.com"
	Cipher      string // client to server
	MAC         string // client to server; "" for AEAD ciphers
}

// Negotiated returns the algorithms the connection to the target (the
// last hop) negotiated. Callers holding a transport.Conn read it with
// sshx.NegotiatedOf.
func (c *conn) Negotiated() Negotiated {
	meta, ok := c.client.Conn.(ssh.AlgorithmsConnMetadata)
	if !ok {
		return Negotiated{}
	}
	a := meta.Algorithms()
	return Negotiated{KeyExchange: a.KeyExchange, HostKey: a.HostKey, Cipher: a.Write.Cipher, MAC: a.Write.MAC}
}

// NegotiatedOf returns the algorithms of a connection made by this
// package, and false for any other transport.Conn.
func NegotiatedOf(c any) (Negotiated, bool) {
	n, ok := c.(interface{ Negotiated() Negotiated })
	if !ok {
		return Negotiated{}, false
	}
	return n.Negotiated(), true
}
