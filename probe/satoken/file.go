package satoken

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxSize caps the token file read: projected tokens are about 1 KiB,
// so anything near this is not a token and must not be slurped whole.
const MaxSize = 64 << 10

// ErrNotRegular is wrapped by ReadFile's error for a path that is a
// directory, a device, a pipe or a socket: kubelet only ever writes
// regular files, and reading anything else could block or never end.
var ErrNotRegular = errors.New("not a regular file")

// ReadFile reads at most MaxSize bytes of a regular file. Errors wrap
// fs.ErrNotExist, fs.ErrPermission or ErrNotRegular where that is the
// cause; an oversized file is an *Error of part "structure".
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening token file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat token file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("token file is a %s, %w", fileKind(st.Mode()), ErrNotRegular)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading token file: %w", err)
	}
	if len(b) > MaxSize {
		return nil, &Error{Part: "structure", Err: fmt.Errorf("file is larger than %d KiB; a projected token is about 1 KiB", MaxSize>>10)}
	}
	return b, nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
