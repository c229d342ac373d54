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

var update = flag.Bool("update", false, "rewrite the README's generated sections")

// TestREADMEGenerated: the README's tables of finding codes and of
// settings are the catalog and the settings table, row for row.
func TestREADMEGenerated(t *testing.T) {
	const path = "../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, sec := range []struct{ name, want string }{
		{"catalog", finding.CatalogMarkdown()},
		{"settings", config.Markdown()},
	} {
		start := "<!-- " + sec.name + ":start (generated: go test ./probe -run TestREADMEGenerated -update) -->\n"
		end := "<!-- " + sec.name + ":end -->"
		i, j := strings.Index(readme, start), strings.Index(readme, end)
		if i < 0 || j < i {
			t.Fatalf("README.md lacks the markers %q … %q", start, end)
		}
		if got := readme[i+len(start) : j]; got != sec.want {
			if !*update {
				t.Errorf("README.md's %s table is stale; run: go test ./probe -run TestREADMEGenerated -update", sec.name)
				continue
			}
			readme = readme[:i+len(start)] + sec.want + readme[j:]
		}
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
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
