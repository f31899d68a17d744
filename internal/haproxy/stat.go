package haproxy

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// Stat is one server's line of `show stat`.
type Stat struct {
	Sessions int    // scur: current sessions
	Status   string // "UP", "DOWN", "DRAIN", "MAINT", "no check", "UP 1/3", ...
}

// Up reports whether the server takes new connections and is not in
// maintenance or drain.
func (s Stat) Up() bool {
	return strings.HasPrefix(s.Status, "UP") || s.Status == "no check"
}

// Stat returns the server's line of `show stat`.
func (c *Client) Stat(ctx context.Context, backend, server string) (Stat, error) {
	out, err := c.Command(ctx, "show stat")
	if err != nil {
		return Stat{}, err
	}
	return parseStat(out, backend, server)
}

// parseStat finds pxname,svname in the CSV of `show stat`, whose header
// line starts with "# ".
func parseStat(out, backend, server string) (Stat, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# ")))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return Stat{}, fmt.Errorf("show stat: unreadable answer %q", firstLine(out))
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	px, sv, scur, status := col["pxname"], col["svname"], col["scur"], col["status"]
	for _, row := range rows[1:] {
		if len(row) <= max(px, sv, scur, status) || row[px] != backend || row[sv] != server {
			continue
		}
		n, _ := strconv.Atoi(row[scur])
		return Stat{Sessions: n, Status: row[status]}, nil
	}
	return Stat{}, fmt.Errorf("show stat: no server %s/%s", backend, server)
}
