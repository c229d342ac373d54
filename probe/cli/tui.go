package cli

import (
	"errors"
	"fmt"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/hint"
	"github.com/irsa-probe/irsa-probe/probe/verdict"
)

// How irsa-probe talks to a person on stderr, in one place: every error
// and hint line starts with "irsa-probe:", like age's "age: error:".
// Reports go to stdout and logs through slog; only these lines are free text.

// usageErrorf is a wrongly invoked command: exit 2, one line, and a hint
// that says what to run next.
func usageErrorf(h, format string, args ...any) *hint.Error {
	return hint.Errorf(verdict.ExitUsage, h, format, args...)
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
		return &hint.Error{Msg: ce.Error(), Hint: settingHint(cmd), Code: verdict.ExitUsage}
	}
	return err
}

// fail prints err and returns its exit code: 2 for a usage error, else 1.
func (c *CLI) fail(err error) int {
	return hint.Printer{Prog: "irsa-probe", W: c.Stderr}.Fail(err, verdict.ExitBroken)
}
