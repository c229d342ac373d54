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
	// The manual's other fleet pages (docs/fleet-*.md) count too, and the page on a credential's life after
	// start (docs/lifetime.md), which tables the fleet's token rule.
	pages, _ := filepath.Glob("../../docs/fleet-*.md")
	pages = append(pages, "../../docs/lifetime.md")
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sec += string(b)
	}
	for _, c := range DriftCodes() {
		if !strings.Contains(sec, "| `"+c+"` |") {
			t.Errorf("docs/fleet.md's drift table lacks %s", c)
		}
	}
	for _, c := range CanaryCodes() {
		if !strings.Contains(sec, "`"+c+"`") {
			t.Errorf("docs/fleet.md's --prove section lacks %s", c)
		}
	}
}
