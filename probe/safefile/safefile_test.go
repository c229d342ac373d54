package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within fails the test if fn has not returned after d: the calls under
// test must never block.
func within(t *testing.T, d time.Duration, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("blocked for more than %s", d)
		return nil
	}
}

func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 101), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(big, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want error
		kind string
	}{
		{fifo, ErrNotRegular, "named pipe"},
		{dir, ErrNotRegular, "directory"},
		{"/dev/zero", ErrNotRegular, "device"},
		{"/dev/null", ErrNotRegular, "device"},
		{big, ErrTooLarge, "larger than 100 bytes"},
		{link, ErrTooLarge, "larger than 100 bytes"}, // a symlink is followed to what it names
		{filepath.Join(dir, "absent"), fs.ErrNotExist, "no such file"},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			err := within(t, 2*time.Second, func() error { _, err := Read(tc.path, 100); return err })
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.kind) {
				t.Errorf("Read(%s) = %v, want %v (%s)", tc.path, err, tc.want, tc.kind)
			}
		})
	}
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("token"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(small, 5); err != nil || string(b) != "token" {
		t.Errorf("Read(small) = %q, %v", b, err)
	}
}

func TestWriteRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, dir, "/dev/null"} {
		err := within(t, 2*time.Second, func() error { return Write(path, []byte("x")) })
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("Write(%s) = %v, want ErrNotRegular", path, err)
		}
	}
	path := filepath.Join(dir, "termination-log")
	if err := Write(path, []byte("a longer first text")); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("short")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "short" {
		t.Errorf("after two writes the file holds %q", b)
	}
}
