package shelltest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Shells are the shells a printed command must paste into: zsh as an
// interactive shell without the user's rc files, so without
// INTERACTIVE_COMMENTS and with history expansion and EQUALS on, as on a
// stock macOS.
var Shells = [][]string{{"bash"}, {"dash"}, {"zsh", "-f", "-i"}}

// NeedShell returns the shell's path, skipping the test when it is not
// installed, except in CI (CI=true), which installs all three (.ci/run).
func NeedShell(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed: CI installs bash, dash and zsh (.ci/run)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// recordEnd ends one recorded call: values with control characters are
// never printed, so it cannot occur inside one.
const recordEnd = "\x1e"

// Paste feeds script on stdin to shell (one of Shells), as a paste does,
// with a stub of each of stubs first on PATH that records its name and
// argv, and the rest of PATH as it was: a hostile value that escaped its
// quoting could run any real command. It returns the recorded calls, the
// shell's stderr, and a directory the script runs in (where a forged
// command's files would land).
func Paste(t testing.TB, shell []string, script string, stubs ...string) (calls [][]string, stderr string, dir string) {
	t.Helper()
	path := NeedShell(t, shell[0])
	dir = t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, "calls")
	for _, s := range stubs {
		stub := "#!/bin/sh\nprintf '%s\\0' " + filepath.Base(s) + " \"$@\" >>\"$SHELLTEST_CALLS\"\nprintf '" + recordEnd + "\\0' >>\"$SHELLTEST_CALLS\"\n"
		if err := os.WriteFile(filepath.Join(bin, s), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, shell[1:]...)
	cmd.Dir = work
	cmd.Stdin = strings.NewReader(script)
	cmd.Env = []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir, "PS1=", "PS2=", "HISTFILE=",
		"SHELLTEST_CALLS=" + record, "LC_ALL=C.UTF-8"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run() // a stub's exit is 0; a shell's own status is the last command's
	b, err := os.ReadFile(record)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var cur []string
	fields := strings.Split(string(b), "\x00")
	for _, f := range fields[:len(fields)-1] { // the last is what follows the final NUL
		if f == recordEnd {
			calls = append(calls, cur)
			cur = nil
			continue
		}
		cur = append(cur, f)
	}
	return calls, errb.String(), work
}
