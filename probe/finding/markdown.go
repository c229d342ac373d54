package finding

import (
	"fmt"
	"strings"
)

// CatalogMarkdown renders the catalog as docs/catalog.md's table; a test keeps
// that page in step with the code.
func CatalogMarkdown() string {
	var b strings.Builder
	b.WriteString("| code | severity | exit | what it means | detected from |\n|---|---|---|---|---|\n")
	for _, e := range Catalog() {
		exit := e.Severity.Verdict().ExitCode()
		fmt.Fprintf(&b, "| `%s` | %s | %d | %s | %s |\n", e.Code, e.Severity, exit, e.Title, e.Detected)
	}
	return b.String()
}
