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
