package fleet

import (
	"os"
	"path/filepath"
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
	// The manual's fleet pages (docs/fleet-*.md) count too: the README is
	// being split into them.
	pages, _ := filepath.Glob("../../docs/fleet-*.md")
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sec += string(b)
	}
	for _, c := range CanaryCodes() {
		if !strings.Contains(sec, "`"+c+"`") {
			t.Errorf("the README's --prove section lacks %s", c)
		}
	}
}
