package engine

import "strconv"

func itoa(n int) string { return strconv.Itoa(n) }

// plural returns "1 host" or "3 hosts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return itoa(n) + " " + noun + "s"
}
