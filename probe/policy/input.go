package policy

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotRegular is wrapped by ReadFile's error for a path that is not a
// regular file: reading a FIFO or a device could block forever (pipe the
// policy into "-" instead).
var ErrNotRegular = errors.New("not a regular file")

// ReadFile reads at most MaxInput bytes of a regular file.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w (pipe it into --explain - instead)", path, ErrNotRegular)
	}
	return ReadCapped(f)
}

// ReadCapped reads r up to MaxInput bytes; more is an error, not a
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
