package sshx

import (
	"context"

	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/transport"
)

// clientConfig builds the SSH client configuration for one hop. cleanup
// releases the agent connection after the handshake.
func (d *Dialer) clientConfig(ctx context.Context, ep transport.Endpoint) (*ssh.ClientConfig, *hostKeyCheck, func(), error) {
	check, err := d.newHostKeyCheck(ep.KnownHosts)
	if err != nil {
		return nil, nil, nil, err
	}
	auth, cleanup, err := d.authMethods(ctx, ep.Identities)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg := &ssh.ClientConfig{
		User:              ep.User,
		Auth:              auth,
		HostKeyCallback:   check.callback,
		HostKeyAlgorithms: check.algorithms(ep.Addr()),
	}
	return cfg, check, cleanup, nil
}
