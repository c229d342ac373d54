package probe_test

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/finding"
)

var update = flag.Bool("update", false, "rewrite the manual's generated tables")

// TestREADMEGenerated: the manual's tables of finding codes and of settings
// are the catalog and the settings table, row for row. Each table is
// wherever its markers are, in the README or a page of docs/ (catalog.md,
// settings.md); -update rewrites it there.
func TestREADMEGenerated(t *testing.T) {
	pages, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	pages = append([]string{"../README.md"}, pages...)
	for _, sec := range []struct{ name, want string }{
		{"catalog", finding.CatalogMarkdown()},
		{"settings", config.Markdown()},
	} {
		start := "<!-- " + sec.name + ":start (generated: go test ./probe -run TestREADMEGenerated -update) -->\n"
		end := "<!-- " + sec.name + ":end -->"
		var found []string
		for _, path := range pages {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			text := string(b)
			i, j := strings.Index(text, start), strings.Index(text, end)
			if i < 0 && j < 0 {
				continue
			}
			found = append(found, path)
			if i < 0 || j < i {
				t.Errorf("%s has the %s markers out of order or one without the other", path, sec.name)
				continue
			}
			if text[i+len(start):j] == sec.want {
				continue
			}
			if !*update {
				t.Errorf("%s's %s table is stale; run: go test ./probe -run TestREADMEGenerated -update", path, sec.name)
				continue
			}
			text = text[:i+len(start)] + sec.want + text[j:]
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if len(found) != 1 {
			t.Errorf("the markers %q … %q are in %d files %v; want exactly one", start, end, len(found), found)
		}
	}
}

// TestMakefileFuzzesEveryTarget: `make fuzz` (and so `make test`) runs
// every fuzz target there is.
func TestMakefileFuzzesEveryTarget(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fuzzFuncRE.FindAllStringSubmatch(string(src), -1) {
			if want := "./probe/" + filepath.Dir(path) + ":" + m[1]; !strings.Contains(string(mk), want) {
				t.Errorf("the Makefile's FUZZ_TARGETS lacks %s", want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var fuzzFuncRE = regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)
