package policy

import (
	"fmt"
	"io"

	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// ReadFile reads at most MaxInput bytes of a regular file, without
// blocking on a FIFO or a device (pipe the policy into "-" instead).
func ReadFile(path string) ([]byte, error) {
	return safefile.Read(path, MaxInput)
}

// ReadCapped reads r (stdin) up to MaxInput bytes; more is an error, not a
// truncation.
func ReadCapped(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxInput {
		return nil, fmt.Errorf("larger than %d KiB: not a trust policy", MaxInput>>10)
	}
	return b, nil
}
