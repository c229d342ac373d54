package finding

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's generated sections")

const (
	catalogStart = "<!-- catalog:start (generated: go test ./probe/finding -run TestREADMECatalog -update) -->\n"
	catalogEnd   = "<!-- catalog:end -->"
)

// TestREADMECatalog: the README's table is the catalog, row for row.
func TestREADMECatalog(t *testing.T) {
	const path = "../../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, catalogStart), strings.Index(readme, catalogEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the catalog markers %q … %q", catalogStart, catalogEnd)
	}
	want := CatalogMarkdown()
	if got := readme[i+len(catalogStart) : j]; got != want {
		if !*update {
			t.Fatalf("README.md's catalog table is stale; run: go test ./probe/finding -run TestREADMECatalog -update")
		}
		readme = readme[:i+len(catalogStart)] + want + readme[j:]
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
