package sshx

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/crypto/ssh"
)

// CheckIdentity reports whether path can be read and holds a private key.
// A key protected by a passphrase passes: the agent may hold it, or the
// terminal may be asked when it is used.
func CheckIdentity(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = ssh.ParseRawPrivateKey(data)
	var encrypted *ssh.PassphraseMissingError
	if err != nil && !errors.As(err, &encrypted) {
		return fmt.Errorf("%s is not a private key: %w", path, err)
	}
	return nil
}

// CheckCertificate accepts a user certificate, or no file at all (ssh
// skips a missing CertificateFile).
func CheckCertificate(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if cert, ok := pub.(*ssh.Certificate); err != nil || !ok || cert.CertType != ssh.UserCert {
		return fmt.Errorf("%s is not a user certificate", path)
	}
	return nil
}
