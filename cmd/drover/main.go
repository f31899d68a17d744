// Command drover runs runbooks and ad-hoc commands across a farm of hosts
// over SSH. All of its work is in internal/cli.
package main

import (
	"os"

	"github.com/drover-sh/drover/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
