package appsdk_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/irsa-probe/irsa-probe/probe/appsdk"
	"github.com/irsa-probe/irsa-probe/probe/iam"
)

// debianBotocore is Debian 12's python3-botocore (1.29.27), which CI
// installs: a real botocore older than 1.34.41, Pod Identity's minimum.
const debianBotocore = "/usr/lib/python3/dist-packages/botocore/__init__.py"

// TestPythonDebianBotocoreTooOldForPodIdentity runs Debian's python3,
// which imports Debian's botocore, and finds it supports IRSA but is too
// old for Pod Identity.
func TestPythonDebianBotocoreTooOldForPodIdentity(t *testing.T) {
	if _, err := os.Stat(debianBotocore); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v (CI installs python3-botocore)", debianBotocore, err)
		}
		t.Skip("python3-botocore is not installed (apt-get install python3-botocore)")
	}
	py := "/usr/bin/python3"
	p := startProcess(t, t.TempDir(), []string{"HOME=/nonexistent"}, py, "-c", "import botocore, time; time.sleep(600)")
	want := pythonVersion(t, py, "botocore")
	for mech, min := range map[string]string{iam.MechanismPodIdentity: "1.34.41", iam.MechanismIRSA: "1.12.200"} {
		f := only(t, appsdk.Detect(p, mech), "botocore")
		if f.Version != want || f.Minimum != min || f.TooOld != (mech == iam.MechanismPodIdentity) || f.Where != debianBotocore {
			t.Errorf("%s: %+v, want version %s", mech, f, want)
		}
	}
}

// TestPythonInstalledSDK runs the Python on PATH (pip's botocore, boto3
// and awscli) and finds the versions `import` gets.
func TestPythonInstalledSDK(t *testing.T) {
	py := need(t, "python3")
	real, err := exec.Command(py, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatal(err)
	}
	exe := strings.TrimSpace(string(real))
	if pythonVersion(t, exe, "botocore") == "" {
		t.Skip("no botocore for " + exe)
	}
	p := startProcess(t, t.TempDir(), []string{"HOME=/nonexistent"}, exe, "-c", "import time; time.sleep(600)")
	found := appsdk.Detect(p, iam.MechanismPodIdentity)
	for _, pkg := range []string{"botocore", "boto3", "awscli"} {
		want := pythonVersion(t, exe, pkg)
		if want == "" {
			continue
		}
		f := only(t, found, pkg)
		if f.Version != want || f.Ecosystem != appsdk.EcosystemPython || !strings.HasPrefix(filepath.Base(filepath.Dir(f.Where)), pkg) {
			t.Errorf("%s: %+v, want %s", pkg, f, want)
		}
		if f.TooOld != (appsdk.Compare(want, f.Minimum) < 0) {
			t.Errorf("%s: too old %v", pkg, f.TooOld)
		}
	}
}

// pythonVersion asks the interpreter for a package's version, "" if absent.
func pythonVersion(t *testing.T, py, pkg string) string {
	t.Helper()
	out, err := exec.Command(py, "-c", "import "+pkg+"; print("+pkg+".__version__)").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
