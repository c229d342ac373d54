package migrate

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/fleet"
	"github.com/irsa-probe/irsa-probe/probe/policy"
	"github.com/irsa-probe/irsa-probe/probe/ststest"
)

// awsCLI is the AWS CLI on PATH when its botocore knows Pod Identity's
// target roles and reads AWS_ENDPOINT_URL_<SERVICE> (1.40 and later).
func awsCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	out, err := exec.Command(p, "--version").CombinedOutput()
	m := regexp.MustCompile(`botocore/(\d+)\.(\d+)`).FindStringSubmatch(string(out))
	if err != nil || m == nil {
		t.Skipf("aws --version: %v %s", err, out)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major < 1 || (major == 1 && minor < 40) {
		t.Skipf("botocore %s.%s is too old for EKS Pod Identity's target roles", m[1], m[2])
	}
	return p
}

// TestPlanAgainstAWSCLI pastes the plan's steps into bash with the real
// AWS CLI (botocore, an independent client) pointed at ststest's IAM and
// EKS doubles, and stub kubectl and irsa-probe: step 1 gives the role
// both trusts, step 2 creates the association, step 6 leaves Pod
// Identity's trust only, and the rollback finds the association and
// deletes it.
func TestPlanAgainstAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("the AWS CLI starts in a second or more per command")
	}
	awsCLI(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	sts := ststest.NewSTS()
	defer sts.Close()
	iamd := ststest.NewIAM(sts)
	defer iamd.Close()
	eks := ststest.NewEKS()
	defer eks.Close()
	eks.AddCluster("prod")
	var mu sync.Mutex
	var heard []string
	eks.OnAssociate = func(c, ns, sa, role string) { mu.Lock(); heard = append(heard, "+"+ns+"/"+sa+"="+role); mu.Unlock() }
	eks.OnDisassociate = func(c, ns, sa string) { mu.Lock(); heard = append(heard, "-"+ns+"/"+sa); mu.Unlock() }
	if err := sts.PutRole(testRole, irsaOnlyPolicy); err != nil {
		t.Fatal(err)
	}

	w := newWorld()
	w.in.Policies = []fleet.PolicyChange{{Role: "billing-api", File: "billing-api.json", Doc: mustPolicy(irsaOnlyPolicy)}}
	p := planOf(t, w)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, stub := range []string{"kubectl", "irsa-probe"} {
		if err := os.WriteFile(filepath.Join(bin, stub), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_ENDPOINT_URL_IAM=" + iamd.URL, "AWS_ENDPOINT_URL_EKS=" + eks.URL, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"}
	paste := func(steps ...string) {
		t.Helper()
		var script strings.Builder
		script.WriteString("set -e\n")
		for _, name := range steps {
			for _, c := range stepOf(t, p, name).Commands {
				script.WriteString(c.Line + "\n")
			}
		}
		cmd := exec.Command(bash)
		cmd.Stdin, cmd.Env, cmd.Dir = strings.NewReader(script.String()), env, dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pasting %v: %v\n%s\n%s", steps, err, script.String(), out)
		}
	}
	trust := func() *policy.Document {
		t.Helper()
		cmd := exec.Command("aws", "iam", "get-role", "--role-name", "billing-api", "--output", "json", "--region", "us-west-2")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws iam get-role: %v %s", err, stderrOf(err))
		}
		d, err := policy.Load(out)
		if err != nil {
			t.Fatalf("get-role's policy: %v\n%s", err, out)
		}
		return d
	}
	id := w.in.Inventory.Identities[0]
	irsa, pid := irsaRequest(mustRole(testRole), id, testIssuer), podIdentityRequest(mustRole(testRole), id)

	paste(StepTrustPolicy, StepAssociate, StepUnannotate, StepRestart, StepVerify)
	if d := trust(); policy.Explain(d, irsa).Verdict != policy.Allows || policy.Explain(d, pid).Verdict != policy.Allows {
		t.Errorf("after step 1 the role must trust both:\n%s", d.Text)
	}
	paste(StepRollback)
	paste(StepAssociate)
	paste(StepRemoveIRSATrust)
	if d := trust(); policy.Explain(d, irsa).Verdict != policy.Denies || policy.Explain(d, pid).Verdict != policy.Allows {
		t.Errorf("after step 6 the role must trust Pod Identity only:\n%s", d.Text)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"+payments/billing-api=" + testRole, "-payments/billing-api", "+payments/billing-api=" + testRole}
	if !slices.Equal(heard, want) {
		t.Errorf("EKS heard %v, want %v", heard, want)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
