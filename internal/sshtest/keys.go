package sshtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"

	gossh "golang.org/x/crypto/ssh"
)

// newHostSigner makes a fresh ed25519 host key.
func newHostSigner() (gossh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate host key: %w", err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("generate host key: %w", err)
	}
	return signer, nil
}

// writeClientKey generates an ed25519 key pair, writes the private key in
// OpenSSH format to path (mode 0600) and the public key to path+".pub",
// and returns the public key.
func writeClientKey(path string) (gossh.PublicKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate client key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "drover sandbox")
	if err != nil {
		return nil, fmt.Errorf("encode client key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("write client key: %w", err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode client key: %w", err)
	}
	pub := signer.PublicKey()
	if err := os.WriteFile(path+".pub", gossh.MarshalAuthorizedKey(pub), 0o644); err != nil {
		return nil, fmt.Errorf("write client public key: %w", err)
	}
	return pub, nil
}
