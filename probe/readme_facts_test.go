package probe_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/check"
	"github.com/irsa-probe/irsa-probe/probe/cli"
	"github.com/irsa-probe/irsa-probe/probe/config"
	"github.com/irsa-probe/irsa-probe/probe/finding"
	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/policy"
)

// The README's statements that a test can check against the code: each
// test below reads it for one kind of name and fails on one that does not
// exist.

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	makeCmd  = regexp.MustCompile("(?m)(?:`|^)make\\s+([a-z][a-z0-9-]*)")
	makeRule = regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`)
)

// TestREADMEMakeTargetsExist: every `make X` the README names is a target.
func TestREADMEMakeTargetsExist(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range makeRule.FindAllStringSubmatch(string(mk), -1) {
		targets[m[1]] = true
	}
	named := makeCmd.FindAllStringSubmatch(readme(t), -1)
	if len(named) == 0 {
		t.Fatal("found no make command in the README: the pattern is wrong")
	}
	for _, m := range named {
		if !targets[m[1]] {
			t.Errorf("the README names `make %s`; the Makefile has no such target", m[1])
		}
	}
}

// repoFile is a path into this repository, named in text or a link.
var repoFile = regexp.MustCompile("(?:^|[\\s(`\\[])((?:cmd|probe|deploy|examples|\\.github|\\.ci)/[A-Za-z0-9_./*-]*[A-Za-z0-9_*/])")

// TestREADMERepoPathsExist: every path into the repository the README
// names (cmd/…, probe/…, deploy/…, examples/…, .github/…, .ci/…) exists.
func TestREADMERepoPathsExist(t *testing.T) {
	text := readme(t)
	paths := repoFile.FindAllStringSubmatchIndex(text, -1)
	if len(paths) < 10 {
		t.Fatalf("found %d paths in the README: the pattern is wrong", len(paths))
	}
	for _, m := range paths {
		p := strings.TrimSuffix(text[m[2]:m[3]], ".")
		line := text[strings.LastIndex(text[:m[2]], "\n")+1 : m[2]]
		if strings.HasPrefix(p, "deploy/") && strings.Count(p, "/") == 1 && strings.Contains(line, "kubectl ") {
			continue // kubectl's deploy/NAME: a Deployment, not a path
		}
		found, err := filepath.Glob(filepath.Join("..", p))
		if err != nil || len(found) == 0 {
			t.Errorf("the README names %s, which is not in the repository", p)
		}
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
		check.StepTarget, check.StepAppSDK} {
		known[s] = "step"
	}
	known[check.MechanismPodIdentity] = "mechanism"
	for _, c := range fleet.DriftCodes() {
		known[c] = "fleet drift code"
	}
	for _, c := range fleet.CanaryCodes() {
		known[c] = "canary code"
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
	} {
		known[name] = what
	}
	names := kebab.FindAllStringSubmatch(readme(t), -1)
	if len(names) < 20 {
		t.Fatalf("found %d names: the pattern is wrong", len(names))
	}
	for _, m := range names {
		if _, ok := known[m[1]]; !ok {
			t.Errorf("the README names `%s`, which is no finding code, trust-policy reason, step or other known name", m[1])
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

// TestREADMESettingsExist: every IRSA_PROBE_* variable the README names
// is a setting, or a test's switch that a test reads.
func TestREADMESettingsExist(t *testing.T) {
	table := config.Markdown()
	testSwitches := map[string]string{
		"IRSA_PROBE_LOADTEST":     "../cmd/irsa-probe",
		"IRSA_PROBE_IMAGE_LAYOUT": "../cmd/irsa-probe-image",
	}
	const typo = "IRSA_PROBE_TIMOUT" // the README's example of a misspelt setting
	for _, name := range setting.FindAllString(readme(t), -1) {
		switch {
		case name == typo:
			if strings.Contains(table, "`"+typo+"`") {
				t.Errorf("%s is the README's example of a typo, but it is a setting", typo)
			}
		case strings.Contains(table, "`"+name+"`"):
		case testSwitches[name] != "":
			if !dirMentions(t, testSwitches[name], name) {
				t.Errorf("the README names %s; no test in %s reads it", name, testSwitches[name])
			}
		default:
			t.Errorf("the README names %s, which is not a setting", name)
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
			t.Errorf("the README names `irsa-probe %s`; the commands are %v", m[1], cli.CommandNames())
		}
	}
}

// TestREADMEPackageOrder: the Development section lists probe's packages
// in an order where each imports only packages above it, and ststest
// none of them.
func TestREADMEPackageOrder(t *testing.T) {
	text := readme(t)
	i := strings.Index(text, "\nprobe/ ")
	j := strings.Index(text, "\ndeploy/ examples/")
	if i < 0 || j < i {
		t.Fatal("the Development section's package list is not where this test looks")
	}
	var order []string
	for _, line := range strings.Split(text[i:j], "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
			order = append(order, f[0])
		}
	}
	dirs, _ := filepath.Glob("*/doc.go")
	if len(order) != len(dirs) {
		t.Errorf("the README lists %d packages %v; probe has %d", len(order), order, len(dirs))
	}
	const prefix = "github.com/irsa-probe/irsa-probe/probe/"
	for pos, pkg := range order {
		files, _ := filepath.Glob(filepath.Join(pkg, "*.go"))
		if len(files) == 0 {
			t.Errorf("the README lists package %s, which does not exist", pkg)
		}
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
				if at := slices.Index(order, dep); pkg == "ststest" || at < 0 || at >= pos {
					t.Errorf("%s imports %s, listed after it (or ststest importing a probe package)", f, dep)
				}
			}
		}
	}
}
