package sshx

import (
	"context"

	"golang.org/x/crypto/ssh"

	"github.com/drover-sh/drover/internal/transport"
)

// clientConfig builds the SSH client configuration for one hop. cleanup
// releases the agent connection after the handshake.
func (d *Dialer) clientConfig(ctx context.Context, ep transport.Endpoint) (*ssh.ClientConfig, *hostKeyCheck, func(), error) {
	check, err := d.newHostKeyCheck(ep)
	if err != nil {
		return nil, nil, nil, err
	}
	auth, cleanup, err := d.authMethods(ctx, ep)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg := &ssh.ClientConfig{
		Config:            ssh.Config{KeyExchanges: d.keyExchanges()},
		User:              ep.User,
		Auth:              auth,
		HostKeyCallback:   check.callback,
		HostKeyAlgorithms: check.algorithms(),
	}
	return cfg, check, cleanup, nil
}
