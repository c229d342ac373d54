package finding

import "testing"

// TestCatalogCompiles: every message and fix template of the catalog
// parses (they are compiled lazily, at the first finding rendered).
func TestCatalogCompiles(t *testing.T) {
	compileCatalog()
	for c, e := range catalog {
		if e.message == nil || e.fix == nil {
			t.Errorf("%s: a template was not compiled", c)
		}
	}
}
