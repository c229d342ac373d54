package probe

import (
	"os"
	"testing"
)

// unsetenv removes a variable for one test; t.Setenv beforehand registered
// the restore.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}
