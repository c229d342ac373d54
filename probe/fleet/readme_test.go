package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEListsEveryCode: the manual's page on the fleet view
// (docs/fleet.md) names every drift and canary code, so scripts keyed on
// them find them documented.
func TestREADMEListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../../docs/fleet.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := string(b)
	for _, c := range DriftCodes() {
		if !strings.Contains(sec, "| `"+c+"` |") {
			t.Errorf("docs/fleet.md's drift table lacks %s", c)
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
			t.Errorf("docs/fleet.md's --prove section lacks %s", c)
		}
	}
}
