package cli

import (
	"errors"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/transport"
	"github.com/drover-sh/drover/internal/ui"
)

// problemRows describes pre-flight problems for the table.
func problemRows(problems []engine.HostProblem) []ui.ProblemRow {
	rows := make([]ui.ProblemRow, 0, len(problems))
	for _, pr := range problems {
		row := ui.ProblemRow{Host: pr.Host, Problem: "unreachable", Detail: pr.Err.Error()}
		var k *transport.HostKeyError
		switch {
		case errors.As(pr.Err, &k) && k.Problem == transport.HostKeyChanged:
			row.Problem = "host key changed"
		case errors.As(pr.Err, &k) && k.Problem == transport.HostKeyRevoked:
			row.Problem = "host key revoked"
		case errors.As(pr.Err, &k):
			row.Problem = "unknown host key"
			row.Detail = k.KeyType + " " + k.Fingerprint
		case errors.Is(pr.Err, transport.ErrLost):
			row.Problem = "connection lost"
		}
		rows = append(rows, row)
	}
	return rows
}
