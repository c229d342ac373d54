package probe_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// maxBinary is the size above which a tracked file must be text: a
// built binary or an archive committed by mistake bloats every clone for
// good.
const maxBinary = 1 << 20

// TestNoLargeBinaryTracked: every file git tracks that is over 1 MiB is
// text (valid UTF-8, no NUL byte). Built binaries belong in bin/ and
// dist/, which .gitignore keeps out.
func TestNoLargeBinaryTracked(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not a git checkout")
	}
	root := strings.TrimSpace(string(top))
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	checked := 0
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		p := filepath.Join(root, name)
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree, not yet in the index
		}
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || fi.Size() <= maxBinary {
			continue
		}
		checked++
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
			t.Errorf("%s: %d MiB and not text: a built binary or archive is tracked (git rm --cached it; build into bin/ or dist/)", name, fi.Size()>>20)
		}
	}
	t.Logf("%d tracked files over %d MiB checked", checked, maxBinary>>20)
}
