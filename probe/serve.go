package probe

import (
	"context"
	"errors"
)

func (c *CLI) serve(ctx context.Context, args []string) (int, error) {
	return ExitUsage, errors.New("serve: not implemented yet")
}
