package migrate

import (
	"fmt"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/finding"
)

// Command is one line to paste: a pipeline of commands, each an argv.
// Most are a single command; a pipeline feeds one command's output to
// the next (aws … | irsa-probe trust-policy --explain -).
type Command [][]string

// Cmd is a command of one argv.
func Cmd(argv ...string) Command { return Command{argv} }

// Pipe is argvs joined by pipes.
func Pipe(argvs ...[]string) Command { return Command(argvs) }

// ErrControl is a word a command cannot carry: a control character would
// end the line, or act on the terminal, when pasted.
type ErrControl struct{ Word string }

func (e *ErrControl) Error() string {
	return fmt.Sprintf("refusing to print a command with a control character in %s", finding.Escape(e.Word))
}

// Line renders c as the line a person pastes into bash, dash or zsh:
// every word quoted when it holds anything a shell would read, words
// joined by spaces, commands by " | ", no comment. The one place a plan's
// command becomes text.
func Line(c Command) (string, error) {
	parts := make([]string, 0, len(c))
	for _, argv := range c {
		words := make([]string, len(argv))
		for i, w := range argv {
			for _, r := range w {
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
					return "", &ErrControl{Word: w}
				}
			}
			words[i] = finding.ShellWord(w)
			if strings.HasPrefix(words[i], "=") {
				// zsh expands a leading = to a command's path (EQUALS).
				words[i] = "'" + w + "'"
			}
		}
		parts = append(parts, strings.Join(words, " "))
	}
	return strings.Join(parts, " | "), nil
}
