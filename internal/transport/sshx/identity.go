package sshx

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/transport"
)

// identity is one IdentityFile. Its public key is known without the
// passphrase (from the OpenSSH key itself or FILE.pub), so an encrypted
// key can be matched against the agent's keys, and offered, before anyone
// is asked for anything. The private key is decrypted only when a server
// accepts the public key and a signature is needed.
type identity struct {
	file string
	pub  ssh.PublicKey    // nil for an encrypted PEM key without FILE.pub
	cert *ssh.Certificate // FILE-cert.pub, when it is a user certificate
	pem  []byte           // the private key file
	key  atomic.Pointer[ssh.Signer]
	c    *identityCache
}

// identityCache reads each identity file once per Dialer and asks for
// each passphrase at most once, however many hosts use the key.
type identityCache struct {
	mu     sync.Mutex
	ids    map[string]*identity
	certs  map[string]*ssh.Certificate
	phrase map[string]*passwordOnce
	asking atomic.Int32 // passphrase prompts in progress
}

func newIdentityCache() *identityCache {
	return &identityCache{
		ids:    make(map[string]*identity),
		certs:  make(map[string]*ssh.Certificate),
		phrase: make(map[string]*passwordOnce),
	}
}

// load returns the identities of paths, in order.
func (c *identityCache) load(paths []string) ([]*identity, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]*identity, 0, len(paths))
	for _, p := range paths {
		id, ok := c.ids[p]
		if !ok {
			var err error
			if id, err = c.readIdentity(p); err != nil {
				return nil, err
			}
			c.ids[p] = id
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// readIdentity reads a private key file, its public half and the
// certificate beside it.
func (c *identityCache) readIdentity(path string) (*identity, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read identity file: %w", err)
	}
	id := &identity{file: path, pem: pem, c: c}
	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		id.pub = missing.PublicKey
		if id.pub == nil {
			id.pub, _ = readPublicKey(path + ".pub")
		}
	case err != nil:
		return nil, fmt.Errorf("parse identity file %s: %w", path, err)
	default:
		id.key.Store(&s)
		id.pub = s.PublicKey()
	}
	if cert, err := readCertificate(path + "-cert.pub"); err == nil {
		id.cert = cert
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return id, nil
}

// loadCerts returns the user certificates of CertificateFile entries. A
// file that does not exist is skipped, as ssh does.
func (c *identityCache) loadCerts(paths []string) ([]*ssh.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	certs := make([]*ssh.Certificate, 0, len(paths))
	for _, p := range paths {
		cert, ok := c.certs[p]
		if !ok {
			var err error
			cert, err = readCertificate(p)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			c.certs[p] = cert
		}
		if cert != nil {
			certs = append(certs, cert)
		}
	}
	return certs, nil
}

// readPublicKey reads one key in authorized_keys format.
func readPublicKey(path string) (ssh.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil, fmt.Errorf("parse public key %s: %w", path, err)
	}
	return pub, nil
}

// readCertificate reads a user certificate (FILE-cert.pub).
func readCertificate(path string) (*ssh.Certificate, error) {
	pub, err := readPublicKey(path)
	if err != nil {
		return nil, fmt.Errorf("read certificate: %w", err)
	}
	cert, ok := pub.(*ssh.Certificate)
	if !ok || cert.CertType != ssh.UserCert {
		return nil, fmt.Errorf("read certificate: %s is not a user certificate", path)
	}
	return cert, nil
}

// encrypted reports whether the private key still needs its passphrase.
func (id *identity) encrypted() bool { return id.key.Load() == nil }

// signer returns the decrypted key, asking for the passphrase once per
// file (three tries, as ssh gives) when it is encrypted.
func (id *identity) signer(ctx context.Context, ask func(context.Context, string) (string, error)) (ssh.Signer, error) {
	if s := id.key.Load(); s != nil {
		return *s, nil
	}
	if ask == nil {
		return nil, &EncryptedKeyError{File: id.file}
	}
	id.c.mu.Lock()
	once, ok := id.c.phrase[id.file]
	if !ok {
		once = newPasswordOnce(func(ctx context.Context) (string, error) {
			return "", id.decrypt(ctx, ask)
		})
		id.c.phrase[id.file] = once
	}
	id.c.mu.Unlock()
	if _, err := once.get(ctx); err != nil {
		return nil, fmt.Errorf("identity file %s: %w", id.file, err)
	}
	return *id.key.Load(), nil
}

// decrypt asks for the passphrase until it opens the key, three times at
// most, and keeps the key.
func (id *identity) decrypt(ctx context.Context, ask func(context.Context, string) (string, error)) error {
	id.c.asking.Add(1)
	defer id.c.asking.Add(-1)
	for range 3 {
		phrase, err := ask(ctx, id.file)
		if err != nil {
			return err
		}
		s, err := ssh.ParsePrivateKeyWithPassphrase(id.pem, []byte(phrase))
		if errors.Is(err, x509.IncorrectPasswordError) {
			continue
		}
		if err != nil {
			return fmt.Errorf("decrypt: %w", err)
		}
		id.key.Store(&s)
		return nil
	}
	return errors.New("wrong passphrase, three times")
}

// lazySigner offers an identity's public key and decrypts the private key
// only when the server accepted it and a signature is due.
type lazySigner struct {
	id  *identity
	ctx context.Context
	ask func(context.Context, string) (string, error)
}

var _ ssh.AlgorithmSigner = lazySigner{}

func (l lazySigner) PublicKey() ssh.PublicKey { return l.id.pub }

func (l lazySigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	s, err := l.id.signer(l.ctx, l.ask)
	if err != nil {
		return nil, err
	}
	return s.Sign(rand, data)
}

func (l lazySigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	s, err := l.id.signer(l.ctx, l.ask)
	if err != nil {
		return nil, err
	}
	as, ok := s.(ssh.AlgorithmSigner)
	if !ok {
		return s.Sign(rand, data)
	}
	return as.SignWithAlgorithm(rand, data, algorithm)
}

// EncryptedKeyError reports an identity file protected by a passphrase
// that is not in the agent, when there is nobody to ask for it.
type EncryptedKeyError struct {
	File string
}

func (e *EncryptedKeyError) Error() string {
	return fmt.Sprintf("identity file %s is encrypted and not in ssh-agent; add it (ssh-add %s) or run from a terminal", e.File, e.File)
}

// PassphraseNeeded lists the identity files of ep and its jump hosts that
// a dial would have to ask a passphrase for: encrypted, not held by the
// agent the hop uses, and with nothing else to offer instead (the hop has
// IdentitiesOnly, or its agent holds no key). A caller with nobody to ask
// can refuse before dialing.
func (d *Dialer) PassphraseNeeded(ep transport.Endpoint) ([]string, error) {
	var out []string
	for _, hop := range append(slices.Clone(ep.Jump), ep) {
		ids, err := d.identities.load(hop.Identities)
		if err != nil {
			return nil, err
		}
		ids = slices.DeleteFunc(ids, func(id *identity) bool { return !id.encrypted() })
		if len(ids) == 0 {
			continue
		}
		held := d.agentKeys(d.agentSocket(hop))
		if len(held) > 0 && !hop.IdentitiesOnly {
			continue // the agent's keys are offered too, as ssh would without a terminal
		}
		for _, id := range ids {
			inAgent := id.pub != nil && slices.ContainsFunc(held, func(k ssh.PublicKey) bool { return equalKeys(k, id.pub) })
			if !inAgent && !slices.Contains(out, id.file) {
				out = append(out, id.file)
			}
		}
	}
	return out, nil
}

// agentKeys lists the public keys of the agent at sock (none when it
// cannot be reached).
func (d *Dialer) agentKeys(sock string) []ssh.PublicKey {
	ag, cleanup := dialAgent(sock)
	defer cleanup()
	if ag == nil {
		return nil
	}
	signers, _ := ag.Signers()
	keys := make([]ssh.PublicKey, 0, len(signers))
	for _, s := range signers {
		keys = append(keys, s.PublicKey())
	}
	return keys
}
