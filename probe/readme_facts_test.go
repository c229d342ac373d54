package probe_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/cli"
	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/iam"
	"github.com/irsa-probe/irsa-probe/probe/migrate"
	"github.com/irsa-probe/irsa-probe/probe/policy"
)

// The manual's statements that a test can check against the code: the
// README and every page under docs/. Each test below reads them for one kind
// of name and fails on one that does not exist.

// manualPage is one file of the manual: its path from the repository's root
// and its text.
type manualPage struct{ name, text string }

// manual reads README.md and docs/*.md. A docs/ that is gone or nearly empty
// fails: the checks would pass on nothing.
func manual(t *testing.T) []manualPage {
	t.Helper()
	files, err := filepath.Glob("../docs/*.md")
	if err != nil || len(files) < 10 {
		t.Fatalf("docs/ holds %d pages (%v): the manual is not where this test looks", len(files), err)
	}
	var pages []manualPage
	for _, f := range append([]string{"../README.md"}, files...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, manualPage{strings.TrimPrefix(f, "../"), string(b)})
	}
	return pages
}

// readme is the whole manual as one text, for the checks that count names.
func readme(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, p := range manual(t) {
		b.WriteString(p.text)
		b.WriteString("\n")
	}
	return b.String()
}

var (
	makeCmd  = regexp.MustCompile("(?m)(?:`|^)make\\s+([a-z][a-z0-9-]*)")
	makeRule = regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`)
)

// TestREADMEMakeTargetsExist: every `make X` the manual (README.md and docs/) names is a target.
func TestREADMEMakeTargetsExist(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range makeRule.FindAllStringSubmatch(string(mk), -1) {
		targets[m[1]] = true
	}
	found := 0
	for _, p := range manual(t) {
		for _, m := range makeCmd.FindAllStringSubmatch(p.text, -1) {
			found++
			if !targets[m[1]] {
				t.Errorf("%s names `make %s`; the Makefile has no such target", p.name, m[1])
			}
		}
	}
	if found == 0 {
		t.Fatal("found no make command in the manual: the pattern is wrong")
	}
}

// repoFile is a path into this repository, named in text or a link.
var repoFile = regexp.MustCompile("(?:^|[\\s(`\\[])((?:cmd|probe|deploy|examples|\\.github|\\.ci)/[A-Za-z0-9_./*-]*[A-Za-z0-9_*/])")

// TestREADMERepoPathsExist: every path into the repository the manual
// names (cmd/…, probe/…, deploy/…, examples/…, .github/…, .ci/…) exists.
func TestREADMERepoPathsExist(t *testing.T) {
	total := 0
	for _, page := range manual(t) {
		text := page.text
		paths := repoFile.FindAllStringSubmatchIndex(text, -1)
		total += len(paths)
		for _, m := range paths {
			p := strings.TrimSuffix(text[m[2]:m[3]], ".")
			line := text[strings.LastIndex(text[:m[2]], "\n")+1 : m[2]]
			if strings.HasPrefix(p, "deploy/") && strings.Count(p, "/") == 1 && strings.Contains(line, "kubectl ") {
				continue // kubectl's deploy/NAME: a Deployment, not a path
			}
			found, err := filepath.Glob(filepath.Join("..", p))
			if err != nil || len(found) == 0 {
				t.Errorf("%s names %s, which is not in the repository", page.name, p)
			}
		}
	}
	if total < 10 {
		t.Fatalf("found %d paths in the manual: the pattern is wrong", total)
	}
}

// mdLink is a Markdown link's target; the scheme test below skips URLs.
var (
	mdLink  = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile("(?m)^#{1,6} (.+)$")
	fence   = regexp.MustCompile("(?ms)^```.*?^```")
)

// anchors are the fragment ids GitHub gives a page's headings: lower case,
// punctuation but '-' and '_' dropped, spaces as '-', a repeated one
// suffixed -1, -2, ….
func anchors(text string) map[string]bool {
	text = fence.ReplaceAllString(text, "")
	ids, seen := map[string]bool{}, map[string]int{}
	for _, m := range heading.FindAllStringSubmatch(text, -1) {
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(m[1])) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		id := b.String()
		if n := seen[id]; n > 0 {
			ids[id+"-"+strconv.Itoa(n)] = true
		} else {
			ids[id] = true
		}
		seen[id]++
	}
	return ids
}

// TestManualLinksResolve: every relative link of the README and of docs/
// reaches a file of the repository, and a #fragment into a Markdown page a
// heading of that page, so moving a section cannot leave a reader at a dead
// end.
func TestManualLinksResolve(t *testing.T) {
	pages := manual(t)
	texts := map[string]string{}
	for _, p := range pages {
		texts[p.name] = p.text
	}
	checked := 0
	for _, p := range pages {
		for _, m := range mdLink.FindAllStringSubmatch(fence.ReplaceAllString(p.text, ""), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			file, frag, _ := strings.Cut(target, "#")
			name := p.name
			if file != "" {
				name = filepath.ToSlash(filepath.Join(filepath.Dir(p.name), file))
				if _, err := os.Stat(filepath.Join("..", name)); err != nil {
					t.Errorf("%s links %s: %v", p.name, target, err)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(name, ".md") {
				continue
			}
			text, ok := texts[name]
			if !ok {
				b, err := os.ReadFile(filepath.Join("..", name))
				if err != nil {
					t.Errorf("%s links %s: %v", p.name, target, err)
					continue
				}
				text = string(b)
			}
			if !anchors(text)[frag] {
				t.Errorf("%s links %s: %s has no heading #%s", p.name, target, name, frag)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d links: the pattern is wrong", checked)
	}
}

var kebab = regexp.MustCompile("`([a-z]+(?:-[a-z0-9]+)+)`")

// TestREADMENamesOnlyRealCodes: every code-like name in backquotes is a
// finding code, a trust-policy reason, a step, a mechanism, or one of the
// few names of other things listed here.
func TestREADMENamesOnlyRealCodes(t *testing.T) {
	known := map[string]string{}
	for _, e := range finding.Catalog() {
		known[string(e.Code)] = "finding code"
	}
	for _, c := range []string{policy.CodeMalformed, policy.CodeExplicitDeny, policy.CodeNoAllowStatement,
		policy.CodeActionMismatch, policy.CodePrincipalMismatch, policy.CodeKeySwapped, policy.CodeKeyMalformed,
		policy.CodeWildcard, policy.CodeSubjectMismatch, policy.CodeAudienceMismatch, policy.CodeUnsupported,
		policy.CodeOverlyBroad} {
		known[c] = "trust-policy reason"
	}
	for _, s := range []string{check.StepEnvironment, check.StepToken, check.StepSignature, check.StepAssumeRole,
		check.StepCallerIdentity, check.StepDefaultChain, check.StepMechanism, check.StepPodIdentity,
		check.StepTarget, check.StepAppSDK, check.StepTokenMount} {
		known[s] = "step"
	}
	known[iam.MechanismPodIdentity] = "mechanism"
	for _, c := range fleet.DriftCodes() {
		known[c] = "fleet drift code"
	}
	for _, c := range fleet.CanaryCodes() {
		known[c] = "canary code"
	}
	for _, c := range migrate.Codes() {
		known[c] = "migration readiness code"
	}
	for _, s := range migrate.Steps() {
		known[s] = "migration step"
	}
	for name, what := range map[string]string{
		"aws-iam-token":          "IRSA's projected volume",
		"eks-pod-identity-token": "Pod Identity's projected volume",
		"eks-pod-identity-agent": "the EKS add-on",
		"aws-sdk":                "the JavaScript v2 SDK's package",
		"aws-java-sdk-core":      "the Java v1 SDK's artifact",
		"irsa-probe":             "the container and the binary",
		"pod-template-hash":      "the Deployment's label",
		"kube-system":            "the namespace the injection policies skip",
		"pod-identity-webhook":   "EKS's webhook's registration name",
		"validate-krew-manifest": "krew's manifest validator",
		"kyverno-cel":            "the chart's engine for Kyverno's MutatingPolicy, and its folder",
		"native-sidecar":         "a component's name",
	} {
		known[name] = what
	}
	names := kebab.FindAllStringSubmatch(readme(t), -1)
	if len(names) < 20 {
		t.Fatalf("found %d names: the pattern is wrong", len(names))
	}
	for _, m := range names {
		if _, ok := known[m[1]]; !ok {
			t.Errorf("the manual names `%s`, which is no finding code, trust-policy reason, step or other known name", m[1])
		}
	}
	// The manual's page on a credential's life after start: its names are
	// held to the same rule, and it names each of the findings it is about.
	life := lifetimeDoc(t)
	for _, m := range kebab.FindAllStringSubmatch(life, -1) {
		if _, ok := known[m[1]]; !ok {
			t.Errorf("docs/lifetime.md names `%s`, which is no finding code, trust-policy reason, step or other known name", m[1])
		}
	}
	for _, c := range []finding.Code{finding.CodeTokenNotRotated, finding.CodeTokenMountNotRotated, finding.CodeAppSDKRefreshDefect} {
		if !strings.Contains(life, "| `"+string(c)+"` |") {
			t.Errorf("docs/lifetime.md's table of which command catches what lacks %s", c)
		}
	}
}

func lifetimeDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/lifetime.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var setting = regexp.MustCompile(`IRSA_PROBE_[A-Z_]+[A-Z]`)

// TestREADMESettingsExist: every IRSA_PROBE_* variable the manual names
// is a setting, or a test's switch that a test reads.
func TestREADMESettingsExist(t *testing.T) {
	table := config.Markdown()
	testSwitches := map[string]string{
		"IRSA_PROBE_LOADTEST":     "../cmd/irsa-probe",
		"IRSA_PROBE_IMAGE_LAYOUT": "../cmd/irsa-probe-image",
	}
	const typo = "IRSA_PROBE_TIMOUT" // the manual's example of a misspelt setting
	for _, name := range setting.FindAllString(readme(t), -1) {
		switch {
		case name == typo:
			if strings.Contains(table, "`"+typo+"`") {
				t.Errorf("%s is the manual's example of a typo, but it is a setting", typo)
			}
		case strings.Contains(table, "`"+name+"`"):
		case testSwitches[name] != "":
			if !dirMentions(t, testSwitches[name], name) {
				t.Errorf("the manual names %s; no test in %s reads it", name, testSwitches[name])
			}
		default:
			t.Errorf("the manual names %s, which is not a setting", name)
		}
	}
}

func dirMentions(t *testing.T, dir, s string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}

var command = regexp.MustCompile("`irsa-probe ([a-z][a-z-]*)")

// TestREADMECommandsExist: every `irsa-probe COMMAND` is a command.
func TestREADMECommandsExist(t *testing.T) {
	names := command.FindAllStringSubmatch(readme(t), -1)
	if len(names) == 0 {
		t.Fatal("found no command: the pattern is wrong")
	}
	for _, m := range names {
		if !slices.Contains(cli.CommandNames(), m[1]) {
			t.Errorf("the manual names `irsa-probe %s`; the commands are %v", m[1], cli.CommandNames())
		}
	}
}

// TestREADMEPackageOrder: docs/development.md lists probe's packages
// in an order where each imports only packages above it, and ststest
// none of them. Packages it does not list yet are the package map's
// (probe/doc.go) to name; TestPackageMapOrder requires them all there.
func TestREADMEPackageOrder(t *testing.T) {
	b, err := os.ReadFile("../docs/development.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\nprobe/ ")
	j := strings.Index(text, "\ndeploy/ examples/")
	if i < 0 || j < i {
		t.Fatal("docs/development.md's package list is not where this test looks")
	}
	var order []string
	for _, line := range strings.Split(text[i:j], "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
			order = append(order, f[0])
		}
	}
	checkPackageOrder(t, "docs/development.md", order, false)
}

// TestPackageMapOrder: probe/doc.go names every package under probe/, in
// an order where each imports only packages above it.
func TestPackageMapOrder(t *testing.T) {
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "//\t"); ok && rest != "" && rest[0] != ' ' {
			order = append(order, strings.Fields(rest)[0])
		}
	}
	checkPackageOrder(t, "probe/doc.go", order, true)
}

// checkPackageOrder checks that each package of order imports only
// packages listed above it (ststest: none), and, when all, that order
// names every package under probe/.
func checkPackageOrder(t *testing.T, where string, order []string, all bool) {
	t.Helper()
	var pkgs []string
	_ = filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || p == "." {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		files, _ := filepath.Glob(filepath.Join(p, "*.go"))
		if slices.ContainsFunc(files, func(f string) bool { return !strings.HasSuffix(f, "_test.go") }) {
			pkgs = append(pkgs, filepath.ToSlash(p))
		}
		return nil
	})
	for _, p := range pkgs {
		if all && !slices.Contains(order, p) {
			t.Errorf("%s does not name package %s", where, p)
		}
	}
	const prefix = "github.com/irsa-probe/irsa-probe/probe/"
	for pos, pkg := range order {
		if !slices.Contains(pkgs, pkg) {
			t.Errorf("%s lists package %s, which does not exist", where, pkg)
			continue
		}
		files, _ := filepath.Glob(filepath.Join(pkg, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range af.Imports {
				dep, ok := strings.CutPrefix(strings.Trim(im.Path.Value, `"`), prefix)
				if !ok {
					continue
				}
				at := slices.Index(order, dep)
				if pkg == "ststest" || at >= pos || (at < 0 && all) {
					t.Errorf("%s: %s imports %s, listed after it (or ststest importing a probe package)", where, f, dep)
				}
			}
		}
	}
}
