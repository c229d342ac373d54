package migrate

import (
	"errors"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/shellcmd"
)

// Command is one line to paste: a pipeline of commands, each an argv.
// Most are a single command; a pipeline feeds one command's output to
// the next (aws … | irsa-probe trust-policy --explain -).
type Command [][]string

// Cmd is a command of one argv.
func Cmd(argv ...string) Command { return Command{argv} }

// Pipe is argvs joined by pipes.
func Pipe(argvs ...[]string) Command { return Command(argvs) }

// Line renders c as the line a person pastes into bash, dash or zsh:
// each argv through shellcmd, the one renderer, joined by " | ". A word
// shellcmd refuses (*shellcmd.UnprintableError) refuses the line.
func Line(c Command) (string, error) {
	if len(c) == 0 {
		return "", errors.New("an empty command")
	}
	parts := make([]string, 0, len(c))
	for _, argv := range c {
		l, err := shellcmd.Line(argv...)
		if err != nil {
			return "", err
		}
		parts = append(parts, l)
	}
	return strings.Join(parts, " | "), nil
}
