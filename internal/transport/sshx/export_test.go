package sshx

import "github.com/drover-sh/drover/internal/transport"

// Settle is what a request of c that failed with err reports (conn.settle),
// for the tests of the external package.
func Settle(c transport.Conn, err error) error { return c.(*conn).settle(err) }
