package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmes are the documents whose snippets and links users copy and follow.
func readmes(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../examples/*/README.md")
	docs, _ := filepath.Glob("../docs/*.md")
	if len(docs) == 0 {
		t.Fatal("no ../docs/*.md: the manual's pages are not where this test looks")
	}
	return append(append([]string{"README.md", "../README.md"}, docs...), files...)
}

var (
	yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")
	mdLink    = regexp.MustCompile(`\]\(([^)#]+)\)`)
	// Repository paths named in text and commands, e.g. examples/job.
	repoPath = regexp.MustCompile(`(?:^|[\s(` + "`" + `])((?:examples|deploy/components)/[a-z0-9-]+)`)
)

// TestReadmeSnippetsAreFromTheManifests: every YAML snippet of
// deploy/README.md is a run of lines of a tested file (components or
// examples), shifted by one common prefix (indentation, or "#   " for the
// usage comments of the components), so the snippets cannot drift from what
// the tests check.
func TestReadmeSnippetsAreFromTheManifests(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var sources [][]string
	for _, pattern := range []string{"components/*/*.yaml", "../examples/*/*.yaml", "../examples/*/*/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sources = append(sources, strings.Split(string(data), "\n"))
		}
	}
	blocks := yamlBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("no yaml snippets in README.md")
	}
	for _, b := range blocks {
		snippet := strings.Split(strings.TrimRight(b[1], "\n"), "\n")
		found := false
		for _, lines := range sources {
			if containsShifted(lines, snippet) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("README.md snippet is in no manifest:\n%s", b[1])
		}
	}
}

// containsShifted reports whether lines holds snippet as consecutive lines,
// each behind the same prefix.
func containsShifted(lines, snippet []string) bool {
	for start := 0; start+len(snippet) <= len(lines); start++ {
		prefix, ok := strings.CutSuffix(lines[start], snippet[0])
		if !ok {
			continue
		}
		match := true
		for i, s := range snippet[1:] {
			if lines[start+1+i] != strings.TrimRight(prefix+s, " ") {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// TestReadmeLinksExist: relative links, and the repository paths the
// commands name, point at files that exist.
func TestReadmeLinksExist(t *testing.T) {
	for _, f := range readmes(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(data), -1) {
			if strings.Contains(m[1], "://") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), m[1])); err != nil {
				t.Errorf("%s: link %s: %v", f, m[1], err)
			}
		}
		for _, m := range repoPath.FindAllStringSubmatch(string(data), -1) {
			if _, err := os.Stat(filepath.Join("..", m[1])); err != nil {
				t.Errorf("%s: path %s does not exist in the repository", f, m[1])
			}
		}
	}
}
