package fleet

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEListsEveryCode: the README's fleet section names every drift
// and canary code, so scripts keyed on them find them documented.
func TestREADMEListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, _ := strings.Cut(string(b), "## Every identity in the cluster")
	sec, _, _ = strings.Cut(sec, "\n## ")
	for _, c := range DriftCodes() {
		if !strings.Contains(sec, "| `"+c+"` |") {
			t.Errorf("the README's drift table lacks %s", c)
		}
	}
	for _, c := range CanaryCodes() {
		if !strings.Contains(sec, "`"+c+"`") {
			t.Errorf("the README's --prove section lacks %s", c)
		}
	}
}
