//go:build unix

package fleet

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/kube"
)

// TestCanaryLogCapped: a canary pod that prints more than a report could
// (its namespace's editors control it) is refused at the cap, through the
// real runner, instead of being read whole.
func TestCanaryLogCapped(t *testing.T) {
	for _, c := range []struct {
		bytes int
		ok    bool
	}{{64 << 10, true}, {maxCanaryLog + 1, false}} {
		path := filepath.Join(t.TempDir(), "kubectl")
		script := "#!/bin/sh\nhead -c " + strconv.Itoa(c.bytes) + " /dev/zero\n"
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		j := &Jobs{R: &kube.Kubectl{Path: path}}
		b, err := j.Logs(context.Background(), "team", "irsa-probe-x", "irsa-probe")
		if c.ok && (err != nil || len(b) != c.bytes) {
			t.Errorf("%d bytes: got %d, %v", c.bytes, len(b), err)
		}
		if !c.ok && err == nil {
			t.Errorf("%d bytes read, past the %d-byte cap", len(b), maxCanaryLog)
		}
	}
}
