package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// How irsa-probe talks to a person on stderr, in one place: every error
// and hint line starts with "irsa-probe:", like age's "age: error:".
// Reports go to stdout and logs through slog; only these lines are free text.

// usageError is a wrongly invoked command: exit 2, one line, and a hint
// that says what to run next.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(hint, format string, args ...any) *usageError {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// commandHint points at a command's own help.
func commandHint(cmd string) string {
	return fmt.Sprintf("run 'irsa-probe %s -h' for usage", cmd)
}

// settingHint points at the settings of a command.
func settingHint(cmd string) string {
	return fmt.Sprintf("run 'irsa-probe %s -h' for its flags, 'irsa-probe --help' for every setting", cmd)
}

// asUsage makes a usage error of a config error, with cmd's hint.
func asUsage(cmd string, err error) error {
	var ce *config.Error
	if errors.As(err, &ce) {
		return &usageError{msg: ce.Error(), hint: settingHint(cmd)}
	}
	return err
}

// fail prints err and returns its exit code: 2 for a usage error, else 1.
func (c *CLI) fail(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		c.printLines("error", ue.msg)
		if ue.hint != "" {
			c.printLines("hint", ue.hint)
		}
		return verdict.ExitUsage
	}
	c.printLines("error", err.Error())
	return verdict.ExitBroken
}

// printLines writes "irsa-probe: KIND: LINE" for each line of msg, so a
// value with a newline in it cannot forge a line of its own.
func (c *CLI) printLines(kind, msg string) {
	for _, line := range strings.Split(msg, "\n") {
		fmt.Fprintf(c.Stderr, "irsa-probe: %s: %s\n", kind, line)
	}
}
