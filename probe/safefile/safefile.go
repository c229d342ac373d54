package safefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is wrapped by the error for a path that is a directory, a
// device, a FIFO or a socket: kubelet only ever writes regular files, and
// reading anything else could block or never end.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by Read's error for a file over its cap.
var ErrTooLarge = errors.New("file too large")

// Read reads path, a regular file of at most max bytes. The open does not
// block (O_NONBLOCK: a FIFO with no writer would wait forever otherwise),
// and the type is checked on the open descriptor, so a path swapped between
// a check and the read is still refused. Errors wrap fs.ErrNotExist,
// fs.ErrPermission, ErrNotRegular or ErrTooLarge where that is the cause.
func Read(path string, max int64) ([]byte, error) {
	f, err := open(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Sized from the descriptor (a CA bundle is 200 KiB: growing a buffer
	// to it doubled what a check allocated); the limit still holds if the
	// file grows meanwhile.
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Size() >= 0 {
		buf.Grow(int(min(fi.Size(), max)) + bytes.MinRead) // MinRead: ReadFrom wants that much free before it sees EOF
	}
	_, err = buf.ReadFrom(io.LimitReader(f, max+1))
	b := buf.Bytes()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes: %w", path, max, ErrTooLarge)
	}
	return b, nil
}

// Open opens path for reading when it is a regular file, with Read's
// rules (no blocking, type checked on the descriptor), for readers that
// need random access (a zip, an executable's build info) and so read no
// more than they look up.
func Open(path string) (*os.File, error) { return open(path, os.O_RDONLY) }

// Write replaces the content of path, a regular file or one it creates
// (mode 0644), with data. It refuses anything else without blocking: a
// FIFO with no reader fails at once instead of hanging the exit.
func Write(path string, data []byte) error {
	f, err := open(path, os.O_WRONLY|os.O_CREATE)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return fmt.Errorf("truncating %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// open opens path without blocking and returns it only if it is a regular
// file.
func open(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0o644)
	if err != nil {
		switch {
		case errors.Is(err, syscall.ENXIO):
			// A FIFO without a reader, opened for writing.
			return nil, fmt.Errorf("opening %s: it is a named pipe, %w", path, ErrNotRegular)
		case errors.Is(err, syscall.EISDIR):
			return nil, fmt.Errorf("%s is a directory, %w", path, ErrNotRegular)
		}
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is a %s, %w", path, Kind(st.Mode()), ErrNotRegular)
	}
	return f, nil
}

// Kind names a file's type for people.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
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
