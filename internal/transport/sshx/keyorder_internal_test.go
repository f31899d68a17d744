package sshx

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"golang.org/x/crypto/ssh"
)

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// userCert certifies s's key (the CA's signature does not matter here).
func userCert(t *testing.T, s ssh.Signer) *ssh.Certificate {
	t.Helper()
	cert := &ssh.Certificate{Key: s.PublicKey(), CertType: ssh.UserCert, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, newSigner(t)); err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestKeyOrder checks the offer order: CertificateFile certificates, then
// each identity (through the agent when it holds the key, its -cert.pub
// after it), then the agent's other keys unless IdentitiesOnly.
func TestKeyOrder(t *testing.T) {
	a1, a2, f1, f2 := newSigner(t), newSigner(t), newSigner(t), newSigner(t)
	fileID := func(s ssh.Signer, cert *ssh.Certificate) *identity {
		id := &identity{file: "id", pub: s.PublicKey(), cert: cert}
		id.key.Store(&s)
		return id
	}
	encrypted := &identity{file: "enc", pub: a2.PublicKey()} // the agent holds it
	f2cert := userCert(t, f2)
	tests := []struct {
		name string
		set  keySet
		want []string // "agent:N", "file:N", "cert:N" in offer order
	}{
		{"agent only", keySet{agent: []ssh.Signer{a1, a2}}, []string{"agent:a1", "agent:a2"}},
		{"identity before the agent's keys", keySet{ids: []*identity{fileID(f1, nil)}, agent: []ssh.Signer{a1, a2}},
			[]string{"file:f1", "agent:a1", "agent:a2"}},
		{"identities only", keySet{ids: []*identity{fileID(f1, nil)}, agent: []ssh.Signer{a1, a2}, identitiesOnly: true},
			[]string{"file:f1"}},
		{"encrypted identity signed by the agent", keySet{ids: []*identity{encrypted}, agent: []ssh.Signer{a1, a2}, identitiesOnly: true},
			[]string{"agent:a2"}},
		{"certificate beside the key", keySet{ids: []*identity{fileID(f2, f2cert)}}, []string{"file:f2", "cert:f2"}},
		{"CertificateFile first", keySet{certs: []*ssh.Certificate{f2cert}, ids: []*identity{fileID(f1, nil), fileID(f2, nil)}},
			[]string{"cert:f2", "file:f1", "file:f2"}},
		{"certificate without its key is left out", keySet{certs: []*ssh.Certificate{f2cert}, ids: []*identity{fileID(f1, nil)}},
			[]string{"file:f1"}},
		{"locked identity after the agent's keys", keySet{ids: []*identity{{file: "locked", pub: f1.PublicKey()}, fileID(f2, nil)}, agent: []ssh.Signer{a1}},
			[]string{"file:f2", "agent:a1", "file:f1"}},
		{"a key offered once", keySet{ids: []*identity{fileID(f1, nil), fileID(f1, nil)}, agent: []ssh.Signer{f1}},
			[]string{"agent:f1"}},
	}
	names := map[string]string{
		string(a1.PublicKey().Marshal()): "a1", string(a2.PublicKey().Marshal()): "a2",
		string(f1.PublicKey().Marshal()): "f1", string(f2.PublicKey().Marshal()): "f2",
	}
	agentOf := func(set keySet, s ssh.Signer) bool {
		for _, a := range set.agent {
			if a == s {
				return true
			}
		}
		return false
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range tt.set.order() {
				switch k := s.PublicKey().(type) {
				case *ssh.Certificate:
					got = append(got, "cert:"+names[string(k.Key.Marshal())])
				default:
					kind := "file"
					if agentOf(tt.set, s) {
						kind = "agent"
					}
					got = append(got, kind+":"+names[string(k.Marshal())])
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("order = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("order = %v, want %v", got, tt.want)
				}
			}
		})
	}
}
