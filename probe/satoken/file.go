package satoken

import (
	"errors"
	"fmt"

	"github.com/irsa-probe/irsa-probe/probe/safefile"
)

// MaxSize caps the token file read: projected tokens are about 1 KiB,
// so anything near this is not a token and must not be slurped whole.
const MaxSize = 64 << 10

// ErrNotRegular is wrapped by ReadFile's error for a path that is not a
// regular file (see safefile).
var ErrNotRegular = safefile.ErrNotRegular

// ReadFile reads at most MaxSize bytes of a regular file, without ever
// blocking on a FIFO or a device. Errors wrap fs.ErrNotExist,
// fs.ErrPermission or ErrNotRegular where that is the cause; an oversized
// file is an *Error of part "structure".
func ReadFile(path string) ([]byte, error) {
	b, err := safefile.Read(path, MaxSize)
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, &Error{Part: "structure", Err: fmt.Errorf("file is larger than %d KiB; a projected token is about 1 KiB", MaxSize>>10)}
	}
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	return b, nil
}
