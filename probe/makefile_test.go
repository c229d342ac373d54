package probe_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// timingList is the Makefile's TIMING_TESTS, continuation lines joined.
var timingList = regexp.MustCompile(`(?m)^TIMING_TESTS\s*:=\s*((?:.*\\\n)*.*)$`)

// TestMakefileTimesEveryTimingTest: every test that skips its timing under
// the race detector (it reads raceEnabled) is in the Makefile's
// TIMING_TESTS, so make test runs it once more without the detector and the
// timing is asserted somewhere; and every entry there is such a test.
func TestMakefileTimesEveryTimingTest(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := timingList.FindSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile has no TIMING_TESTS")
	}
	listed := map[string]bool{} // "./pkg:TestName"
	for _, entry := range strings.Fields(strings.ReplaceAll(string(m[1]), "\\\n", " ")) {
		pkg, names, ok := strings.Cut(entry, ":")
		if !ok {
			t.Fatalf("TIMING_TESTS entry %q is not package:Test1,Test2", entry)
		}
		for _, n := range strings.Split(names, ",") {
			listed[pkg+":"+n] = true
		}
	}
	var found []string
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || !strings.HasPrefix(fn.Name.Name, "Test") {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && id.Name == "raceEnabled" {
					rel, _ := filepath.Rel("..", filepath.Dir(path))
					found = append(found, "./"+filepath.ToSlash(rel)+":"+fn.Name.Name)
					return false
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatal("found no test that reads raceEnabled: the walk is wrong")
	}
	for _, f := range found {
		if !listed[f] {
			t.Errorf("%s skips its timing under the race detector but is not in the Makefile's TIMING_TESTS", f)
		}
	}
	for l := range listed {
		if !slices.Contains(found, l) {
			t.Errorf("TIMING_TESTS lists %s, which is no test reading raceEnabled", l)
		}
	}
}
