package expect

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"

	"github.com/drover-sh/drover/internal/shell"
)

// SudoSecret is the name of the secret SudoRules answers with.
const SudoSecret = "sudo"

// WrongSudoPassword is the failure reported when sudo asks again.
const WrongSudoPassword = "sudo: wrong password"

// NewToken returns a sudo prompt that is unique to this call and unlikely
// to appear in any other output, e.g. "[drover-sudo-1f3a9c0b]:". It holds no
// '%', which sudo -p would expand, and no quote.
func NewToken() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	return "[drover-sudo-" + hex.EncodeToString(b[:]) + "]:"
}

// SudoRules answers the prompt token (see SudoCommand) with the secret
// named SudoSecret, once. sudo asking again, or saying "Sorry, try again",
// means the password was wrong: the run fails at once with
// WrongSudoPassword and the password is not sent again, as repeated wrong
// passwords lock accounts.
func SudoRules(token string) []Rule {
	return []Rule{
		{
			Match: regexp.MustCompile(`(?m)^Sorry, try again\.`),
			Fail:  WrongSudoPassword,
		},
		{
			Match:   regexp.MustCompile(regexp.QuoteMeta(token)),
			Secret:  SudoSecret,
			Max:     1,
			Refused: WrongSudoPassword,
		},
	}
}

// SudoCommand returns a shell command that runs cmd through sudo with
// token as the password prompt: sudo -p 'TOKEN' -- sh -c 'CMD'.
func SudoCommand(token, cmd string) string {
	return "sudo -p " + shell.Quote(token) + " -- sh -c " + shell.Quote(cmd)
}
